from django.core.management.base import BaseCommand

from core.services import record_heartbeat


class Command(BaseCommand):
    help = "Record a beat tick by hand (what Celery beat does every minute)."

    def handle(self, *args, **options):
        beat = record_heartbeat()
        self.stdout.write(f"beat tick recorded at {beat.at.isoformat()}")
