"""Time the monthly scorecards at district scale on the database DATABASE_URL names
(default gg_scheme_bench): the nightly job's ``compute_month`` for the whole district, cold
(no drafts yet: every card inserted) and warm (every draft rewritten), and ``month_figures``
alone, with their query counts, beside the framework's floor in the same run.

    createdb -h 127.0.0.1 -U postgres gg_scheme_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gg_scheme_bench
    DEBUG=1 .venv/bin/python manage.py migrate
    .venv/bin/python bench/appraisal_scoring.py [--runs 3] [--month 2026-11]

If the demo district is not there it loads it first (``seed_demo --scale district``, 1,000
grids, ~600,000 households, a few minutes) and adds visits and requests with
bench/generate.py (``--visits``, ``--tickets`` over the last ``--days``). Rerunning reuses the
data; only the month's draft cards are deleted and recomputed. Not part of the tests or CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gg_scheme_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
from governance import devkeys

os.environ.update(devkeys.environ())
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from appraisal.models import SCORED_ROLES, Scorecard, month_start  # noqa: E402
from appraisal.scoring import month_figures  # noqa: E402
from appraisal.services import compute_month  # noqa: E402
from grids.models import Area, Household, Post, ResidentCare  # noqa: E402
from visits.models import Visit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def build(visits: int, tickets: int, days: int) -> None:
    """The district demo plus visits and requests, unless the district is already there."""
    if not Area.objects.filter(depth=1).exists():
        started = time.perf_counter()
        call_command("seed_demo", scale="district")
        print(f"seed_demo --scale district: {time.perf_counter() - started:.0f} s")
    if not Visit.objects.exists():
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                f"--visits={visits}",
                f"--tickets={tickets}",
                f"--days={days}",
            ],
            check=True,
        )
        print(f"bench/generate.py: {time.perf_counter() - started:.0f} s")


def timed(work, runs: int, before=None) -> tuple[list[float], int, object]:
    """Milliseconds of each run, the queries of the last, and its result."""
    timings, result, count = [], None, 0
    for _ in range(runs):
        if before:
            before()
        seen = []

        def counter(execute, sql, params, many, context, seen=seen):
            seen.append(1)
            return execute(sql, params, many, context)

        started = time.perf_counter()
        # Counted by a wrapper: CaptureQueriesContext keeps only the last 9,000.
        with connection.execute_wrapper(counter):
            result = work()
        timings.append((time.perf_counter() - started) * 1000)
        count = len(seen)
    return timings, count, result


def line(label: str, timings: list[float], queries: int, note: str = "") -> None:
    print(
        f"{label:34} {statistics.median(timings):10.1f} {max(timings):10.1f} {queries:8d}  {note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--month", help="YYYY-MM (default: last month)")
    parser.add_argument("--visits", type=int, default=600_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=120)
    args = parser.parse_args()
    build(args.visits, args.tickets, args.days)

    if args.month:
        month = dt.date.fromisoformat(f"{args.month}-01")
    else:
        month = month_start(month_start(timezone.localdate()) - dt.timedelta(days=1))
    district = Area.objects.filter(depth=1).order_by("path").first()
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    print(
        f"{connection.vendor}: {Area.objects.grids().count():,} grids, "
        f"{Household.objects.count():,} households "
        f"({ResidentCare.objects.values('resident__household').distinct().count():,} in care), "
        f"{Visit.objects.filter(visited_at__gte=start).count():,} visits since {month:%Y-%m}, "
        f"{Post.objects.filter(role__in=SCORED_ROLES).values('user').distinct().count():,} "
        f"scored workers; month {month:%Y-%m}"
    )
    print(f"\n{'':34} {'median ms':>10} {'max ms':>10} {'queries':>8}")

    # The framework's floor, in the same process and database.
    select_one = lambda: connection.cursor().execute("SELECT 1")  # noqa: E731
    timings, queries, _r = timed(select_one, 50)
    line("floor: SELECT 1", timings, queries)
    client = Client()
    client.force_login(User.objects.get(username="district"))
    client.get("/bench/floor/")
    timings, queries, _r = timed(lambda: client.get("/bench/floor/"), 50)
    line("floor: trivial view (signed in)", timings, queries)

    timings, queries, figures = timed(lambda: month_figures(area=district, month=month), args.runs)
    line("month_figures(district)", timings, queries, f"{len(figures):,} workers")

    def clear_drafts():
        Scorecard.objects.filter(month=month, state=Scorecard.State.DRAFT).delete()

    def compute():
        with transaction.atomic():
            return compute_month(area=district, month=month)

    timings, queries, written = timed(compute, args.runs, before=clear_drafts)
    line("compute_month(district) cold", timings, queries, f"{written:,} cards inserted")
    timings, queries, written = timed(compute, args.runs)
    line("compute_month(district) warm", timings, queries, f"{written:,} cards rewritten")
    care = sum(1 for wm in figures.values() if wm.figures.get("care_due"))
    print(f"\nworkers with a care visit due in {month:%Y-%m}: {care:,}")


if __name__ == "__main__":
    main()
