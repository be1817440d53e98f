from django.core.management.base import BaseCommand

from accounts.signins import KEEP_DAYS, purge


class Command(BaseCommand):
    help = (
        "Delete sign-ins older than the kept period, expired sessions and the rows of ended "
        "sessions (what Celery beat runs daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=KEEP_DAYS, help="keep this many days")

    def handle(self, *args, **options):
        signins, sessions = purge(days=options["days"])
        self.stdout.write(f"purged {signins} sign-ins and {sessions} ended sessions")
