from django.core.management.base import BaseCommand, CommandError

from points.services import check_balances


class Command(BaseCommand):
    help = (
        "Prove every points account's cached balance equals the sum of its ledger entries "
        "(what Celery beat runs nightly). Exits non-zero and lists the accounts if not."
    )

    def handle(self, *args, **options):
        wrong = check_balances()
        for pk, cached, actual in wrong:
            self.stderr.write(f"account {pk}: cached {cached}, ledger sum {actual}")
        if wrong:
            raise CommandError(f"{len(wrong)} accounts do not match their ledger")
        self.stdout.write("every balance matches its ledger")
