import datetime as dt

from django.core.management.base import BaseCommand

from mediation.tasks import remind_follow_ups


class Command(BaseCommand):
    help = "Tell mediators of follow-up visits (30 days after a closed case) falling due."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, today=None, **options):
        told = remind_follow_ups(today)
        self.stdout.write(f"{told} follow-up reminders written")
