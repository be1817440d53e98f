"""A person's action during a sweep of many due escalations: how long it waits, and what it
is told. Issue 18 measured 14.7 s and a 500 for an accept while the sweep escalated a batch.

    createdb -h 127.0.0.1 -U postgres grid_bench_locks
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench_locks DEBUG=1 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench_locks \\
        .venv/bin/python bench/sweep_user_latency.py [--due 5000] [--every 0.2]

Every request is overdue for its answer, so the sweep escalates each one (grid → community).
While it runs, a dispatcher of the community accepts, every ``--every`` seconds, a request
just ahead of the sweep (the one the sweep is most likely to hold), as the board would.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")

import django

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.db import connection, connections  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.sweep_deadlines import fill, territory  # noqa: E402
from tickets import services, sweep  # noqa: E402
from tickets.models import Status, Ticket  # noqa: E402


def make_overdue(count: int) -> None:
    """Submitted 5 hours ago, 4 hours to answer: reminders and the escalation all due, in
    id order (the order the sweep claims them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET submitted_at = now() - interval '5 hours', "
            "response_due = now() - interval '1 hour', checked_until = NULL, "
            "next_check_at = now() - interval '2 hours' + id * interval '1 microsecond' "
            "WHERE id IN (SELECT id FROM tickets_ticket ORDER BY id LIMIT %s)",
            [count],
        )
        cursor.execute("ANALYZE tickets_ticket")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=5000)
    parser.add_argument("--every", type=float, default=0.2)
    parser.add_argument("--ahead", type=int, default=20, help="how far ahead of the sweep")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (DATABASE_URL=postgres://…).")
    grid = territory()
    dispatcher = User.objects.get(username="bench_dispatcher")
    fill(grid, args.due)
    make_overdue(args.due)
    done = threading.Event()
    sweep_took = {}

    def run_sweep():
        started = time.perf_counter()
        try:
            run = sweep.sweep(budget_seconds=3600)
            sweep_took["run"] = run
        finally:
            sweep_took["s"] = time.perf_counter() - started
            done.set()
            connections.close_all()

    threading.Thread(target=run_sweep, daemon=True).start()
    waits, outcomes = [], {}
    while not done.is_set():
        time.sleep(args.every)
        waiting = Ticket.objects.filter(status=Status.SUBMITTED).order_by("id")
        target = waiting[args.ahead : args.ahead + 1].first() or waiting.first()
        if target is None:
            break
        started = time.perf_counter()
        try:
            services.accept(by=dispatcher, ticket=target, expected_version=target.version)
            outcome = "accepted"
        except getattr(services, "TicketBusy", ()):  # () before issue 18: catches nothing
            outcome = "busy, try again"
        except services.StaleTicket:
            outcome = "changed meanwhile"
        except ValidationError:
            outcome = "refused (state)"
        except Exception as error:  # what a 500 would be
            outcome = f"error {type(error).__name__}"
        waits.append((time.perf_counter() - started) * 1000)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    done.wait()
    run = sweep_took.get("run")
    print(
        f"sweep of {args.due:,} overdue requests: {sweep_took['s']:.1f} s, "
        f"{run.escalations if run else '?':,} escalations"
    )
    if waits:
        waits.sort()
        p95 = waits[max(0, int(len(waits) * 0.95) - 1)]
        print(
            f"{len(waits)} accepts during it: median {statistics.median(waits):.0f} ms, "
            f"p95 {p95:.0f} ms, worst {waits[-1]:.0f} ms"
        )
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))


if __name__ == "__main__":
    main()
