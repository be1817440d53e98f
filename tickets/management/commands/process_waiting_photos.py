from django.core.management.base import BaseCommand

from tickets import photos


class Command(BaseCommand):
    help = (
        "Re-encode the residents' photos still not processed a few minutes after they were "
        "sent (what Celery beat runs every two minutes, behind each photo's own task)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{photos.process_waiting()} photos processed")
