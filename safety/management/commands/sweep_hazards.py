from django.core.management.base import BaseCommand

from safety.sweep import sweep


class Command(BaseCommand):
    help = "Escalate the safety hazards not fixed by their date (what beat runs every 5 min)."

    def handle(self, *args, **options):
        written = sweep()
        self.stdout.write(f"{written} notifications written")
