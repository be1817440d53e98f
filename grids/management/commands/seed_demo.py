import importlib
import random
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from grids.demo import DISTRICT_CODE, SCALES, Demo, seed
from grids.models import Area


class Command(BaseCommand):
    help = (
        "Load the demo district (青湖区) with accounts for every role. Deterministic for a "
        "seed; does nothing if the demo district is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="small",
            help="small: ~80 grids, ~8,000 households (seconds); "
            "district: ~1,000 grids, ~600,000 households (minutes)",
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")

    def handle(self, *args, scale, seed: int, **options):
        password = settings.DEMO_PASSWORD
        if Area.objects.filter(code=DISTRICT_CODE).exists():
            self.stdout.write("The demo district is already loaded; nothing to do.")
            self._print_accounts(password)
            return
        started = time.monotonic()
        demo = Demo(scale=scale, rng=random.Random(seed))
        with transaction.atomic():
            seed_all(demo, password, report=self.stdout.write if options["verbosity"] > 1 else None)
        with connection.cursor() as cursor:
            # Fresh statistics: without them PostgreSQL plans seq scans over the new rows.
            cursor.execute("ANALYZE")
        took = time.monotonic() - started
        figures = ", ".join(f"{n:,} {what}" for what, n in demo.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo district loaded in {took:.1f}s: {figures}."))
        self._print_accounts(password)

    def _print_accounts(self, password: str) -> None:
        from grids.demo import DEMO_ACCOUNTS

        self.stdout.write(f"\nDemo accounts (password for all: {password}):")
        for username, display, role, _suffix in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<10} {role.label:<40} {display}")


# The steps that write most of the rows: the territory (households, residents), the visits.
FRESH_STATISTICS = ("grids", "visits.demo")


def seed_all(demo: Demo, password: str, report=None) -> None:
    """The territory first, then each later app's own demo data, in dependency order.

    A later app's ``prepare(demo)`` runs before the territory is built, to hook into it.
    """
    modules = []
    for config in apps.get_app_configs():
        if config.name in ("grids",) or not config.name.isidentifier():
            continue
        try:
            modules.append(importlib.import_module(f"{config.name}.demo"))
        except ModuleNotFoundError:
            continue
    for module in modules:
        if hasattr(module, "prepare"):
            module.prepare(demo)
    steps = [("grids", seed)] + [
        (module.__name__, module.seed) for module in modules if hasattr(module, "seed")
    ]
    for name, step in steps:
        started = time.monotonic()
        step(demo, password)
        if name in FRESH_STATISTICS and connection.vendor == "postgresql":
            # Statistics of the rows just written (ANALYZE sees this transaction's own):
            # without them the later apps' queries are planned for empty tables, and at
            # district scale took seconds each.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if report:
            # Which app's data takes the time at district scale (issue 27: the seed's budget).
            report(f"  {name}: {time.monotonic() - started:.1f}s")
