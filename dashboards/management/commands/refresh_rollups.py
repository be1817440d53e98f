from django.core.management.base import BaseCommand

from dashboards.rollup import refresh


class Command(BaseCommand):
    help = (
        "Bring the dashboards' daily rollups up to date with the request timeline and the "
        "visits (what Celery beat runs every few minutes)."
    )

    def handle(self, *args, **options):
        days = refresh()
        self.stdout.write(f"recomputed {days} days")
