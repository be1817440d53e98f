from django.core.management.base import BaseCommand

from notifications import delivery


class Command(BaseCommand):
    help = (
        "Enqueue every delivery that is due: held for quiet hours, backing off after a "
        "failure, or never enqueued (what Celery beat runs every minute)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Send them here and now instead of through the Celery worker.",
        )

    def handle(self, *args, inline=False, **options):
        if inline:
            states = delivery.send_due_inline()
            self.stdout.write(
                f"{len(states)} deliveries tried: "
                + ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
            )
        else:
            self.stdout.write(f"{delivery.send_due()} deliveries enqueued")
