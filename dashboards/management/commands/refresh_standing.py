from django.core.management.base import BaseCommand

from dashboards.standing import refresh_standing


class Command(BaseCommand):
    help = "Recompute how every area stands now (coverage, staffing, members, households)."

    def handle(self, *args, **options):
        rows = refresh_standing()
        self.stdout.write(f"recomputed the standing of {rows} areas")
