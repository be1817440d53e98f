from django.core.management.base import BaseCommand

from tickets import digest


class Command(BaseCommand):
    help = (
        "Write today's digest to each branch secretary and community officer once DIGEST_HOUR "
        "has come (what Celery beat runs hourly; a second run the same day sends nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", action="store_true", help="Do not wait for DIGEST_HOUR: send today's now."
        )

    def handle(self, *args, now=False, **options):
        sent = digest.send_digests(force=now)
        self.stdout.write(f"{sent} digests written")
