import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from points.services import expire_points


class Command(BaseCommand):
    help = (
        "Let points lapse at the end of each scheme's period by expiry entries (what Celery "
        "beat runs daily). Running it again for the same period changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="run as on this date (YYYY-MM-DD)")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today takes a date like 2027-01-01") from None
        lapsed = expire_points(today=today)
        self.stdout.write(f"points lapsed on {lapsed} accounts")
