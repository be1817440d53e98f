from django.core.management.base import BaseCommand

from grids.sessions import end_sessions_after_last_post


class Command(BaseCommand):
    help = (
        "Sign out people whose last post has ended by its end date (runs nightly in Celery "
        "beat; this is the same by hand)."
    )

    def handle(self, *args, **options):
        ended = end_sessions_after_last_post()
        self.stdout.write(f"{ended} sessions ended")
