from django.core.management.base import BaseCommand

from core import retention


class Command(BaseCommand):
    help = (
        "Remove or anonymise what has outlived its retention period, as the nightly job does "
        "(README, Retention). --dry-run counts what would go and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count only, change nothing")
        parser.add_argument("--batch", type=int, default=retention.BATCH, help="rows per batch")

    def handle(self, *args, dry_run: bool = False, batch: int = retention.BATCH, **options):
        if dry_run:
            for kind, days, cutoff, count in retention.preview():
                self.stdout.write(
                    f"{kind.key}: {count} to be {kind.action} (kept {days} days, "
                    f"older than {cutoff:%Y-%m-%d %H:%M})"
                )
            return
        run = retention.apply(batch=batch)
        for key, done in run.counts.items():
            self.stdout.write(
                f"{key}: {done['count'] if done['count'] is not None else 'failed'} "
                f"{retention.kind(key).action} (older than {done['cutoff'][:16]})"
            )
        if run.error:
            self.stderr.write(run.error)
