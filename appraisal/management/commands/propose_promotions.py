import datetime as dt

from django.core.management.base import BaseCommand

from appraisal.tasks import propose_all


class Command(BaseCommand):
    help = "Propose grade promotions (三岗十八级) to the grid workers who meet the next grade."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, today=None, **options):
        made = propose_all(today)
        self.stdout.write(f"{made} promotions proposed")
