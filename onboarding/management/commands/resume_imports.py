"""The periodic ``resume_imports`` by hand: queue again the imports whose message was lost,
mark those whose worker died."""

from django.core.management.base import BaseCommand

from onboarding.tasks import resume_imports


class Command(BaseCommand):
    help = "Queue again imports that lost their Celery message; mark interrupted ones."

    def handle(self, *args, **options):
        done = resume_imports()
        self.stdout.write(f"{done['checks']} checks and {done['writes']} writes queued again")
