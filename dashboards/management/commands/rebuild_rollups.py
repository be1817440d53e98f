import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboards.rollup import rebuild


class Command(BaseCommand):
    help = "Recompute the dashboards' daily rollups for a range of days from the raw rows."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="last", help="last day (YYYY-MM-DD), default today")
        parser.add_argument("--days", type=int, default=400, help="without --from: days back")

    def handle(self, *args, **options):
        try:
            last = dt.date.fromisoformat(options["last"]) if options["last"] else None
            first = dt.date.fromisoformat(options["first"]) if options["first"] else None
        except ValueError:
            raise CommandError("give days like 2026-01-31") from None
        last = last or timezone.localdate()
        first = first or last - dt.timedelta(days=options["days"])
        if first > last:
            raise CommandError("--from is after --to")
        days = rebuild(first, last)
        self.stdout.write(f"recomputed {days} days, {first} to {last}")
