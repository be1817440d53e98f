import datetime as dt

from django.core.management.base import BaseCommand

from appraisal.tasks import compute_recent


class Command(BaseCommand):
    help = "Recompute the draft scorecards of the current and the previous month."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, today=None, **options):
        written = compute_recent(today)
        self.stdout.write(f"{written} draft scorecards computed")
