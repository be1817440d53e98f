from django.core.management.base import BaseCommand

from tickets.services import AUTO_CLOSE_DAYS
from tickets.tasks import close_unrated_now


class Command(BaseCommand):
    help = (
        f"Close resolved requests the resident has not rated within {AUTO_CLOSE_DAYS} days "
        "(what Celery beat runs every hour)."
    )

    def handle(self, *args, **options):
        closed = close_unrated_now()
        self.stdout.write(f"{closed} unrated requests closed as satisfied")
