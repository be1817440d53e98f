from django.core.management.base import BaseCommand

from grids import list_cache


class Command(BaseCommand):
    help = (
        "Replace each grid's marks of the household and resident lists' version by one "
        "(what Celery beat runs every minute; kept lists are then rendered once more)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{list_cache.fold()} grids folded")
