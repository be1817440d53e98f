from django.core.management.base import BaseCommand

from tickets import sweep


class Command(BaseCommand):
    help = (
        "Act on every due deadline: reminders, overdue notices, escalations, unclaimed "
        "micro-wishes and closing unrated requests (what Celery beat runs every minute)."
    )

    def handle(self, *args, **options):
        run = sweep.sweep()
        self.stdout.write(
            f"{run.claimed} requests looked at, {run.notifications} notifications, "
            f"{run.escalations} escalations, {run.closed} closed unrated, "
            f"in {run.duration_ms} ms"
        )
