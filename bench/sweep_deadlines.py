"""Time the deadline sweep on PostgreSQL: idle with a million open requests, busy with
100,000 due, and (optionally) a real-time soak measuring how late reminders go out.

    createdb -h 127.0.0.1 -U postgres grid_bench_sweep
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench_sweep DEBUG=1 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench_sweep \\
        .venv/bin/python bench/sweep_deadlines.py [--open 1000000] [--due 100000] [--soak 5]

Targets (issue 5): an idle sweep ≤ 10 ms at 1,000,000 open requests (the partial index on
``next_check_at``), 100,000 due ≤ 30 s, and lateness p99 ≤ 2 minutes in the soak. The rows
are written with INSERT … SELECT from one template request (bulk_create of a million rows
would take longer than the thing measured); the script empties the tickets table first.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
# Nothing is enqueued from here: the deliveries wait for a worker that is not part of this run.
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from grids.models import Area, Post  # noqa: E402
from grids.roles import Role  # noqa: E402
from notifications.models import Delivery, Notification  # noqa: E402
from tickets import sweep, timeline  # noqa: E402
from tickets.models import (  # noqa: E402
    Channel,
    Matter,
    Status,
    SweepRun,
    Ticket,
)


def territory():
    """A district → street → community → grid line and a community dispatcher."""
    from accounts.models import User
    from grids import services

    def node(parent, code, level, **extra):
        found = Area.objects.filter(code=code).first()
        if found:
            return found
        return services.create_area(
            by=None, parent=parent, code=code, name=f"基准{code}", level=level, **extra
        )

    district = node(None, "BD", "district")
    street = node(district, "BS", "street")
    community = node(street, "BC", "community")
    grid = node(community, "BG", "grid", grid_kind="comprehensive")
    user, _ = User.objects.get_or_create(username="bench_dispatcher")
    Post.objects.get_or_create(
        user=user, area=community, role=Role.COMMUNITY_STAFF, defaults={"started_on": "2026-01-01"}
    )
    return grid


def fill(grid, count: int, *, empty: bool = True) -> None:
    """``count`` open requests whose next check is a day away: nothing is due. ``empty``:
    the requests (and notifications, events) already there go first."""
    matter = Matter.objects.get(code="stairwell_clutter")
    if empty:
        with connection.cursor() as cursor:
            # The ORM's delete would load a million rows to cascade them.
            cursor.execute("TRUNCATE tickets_ticket, tickets_notification, tickets_event CASCADE")
    with transaction.atomic():
        now = timezone.now()
        template = Ticket(
            channel=Channel.QR,
            matter=matter,
            description="基准",
            reporter_phone="13812345678",
            area=grid,
            status=Status.SUBMITTED,
            submitted_at=now,
            response_due=now + dt.timedelta(days=2),
        )
        timeline.schedule(template)
        template.save()
    columns = [f.column for f in Ticket._meta.concrete_fields if f.column != "id"]
    # Past every id there, so that the codes of a second fill do not meet the first's.
    offset = template.pk
    unique = {
        "short_code": f"lpad(upper(to_hex(g + {offset})), 8, '0')",
        "tracking_token": f"md5((g + {offset})::text || 'bench')",
    }
    select = ", ".join(unique.get(c, f't."{c}"') for c in columns)
    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO tickets_ticket ({quoted}) SELECT {select} "  # noqa: S608 - our columns
            "FROM tickets_ticket t, generate_series(1, %s) g WHERE t.id = %s",
            [count - 1, template.pk],
        )
        cursor.execute("ANALYZE tickets_ticket")


def make_due(count: int) -> None:
    """``count`` requests submitted 3½ hours ago with 4 hours to answer: both reminders due."""
    now = timezone.now()
    submitted = now - dt.timedelta(hours=3, minutes=30)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET submitted_at = %s, response_due = %s, "
            "next_check_at = %s, checked_until = NULL "
            "WHERE id IN (SELECT id FROM tickets_ticket ORDER BY id LIMIT %s)",
            [
                submitted,
                submitted + dt.timedelta(hours=4),
                submitted + dt.timedelta(hours=2),
                count,
            ],
        )
        cursor.execute("ANALYZE tickets_ticket")


def idle(runs: int) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = sweep.sweep_batch()
        times.append((time.perf_counter() - started) * 1000)
        assert result.claimed == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM tickets_ticket WHERE next_check_at <= now() "
            "ORDER BY next_check_at LIMIT 500 FOR UPDATE SKIP LOCKED"
        )
        plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:3])
    print(
        f"idle sweep, {Ticket.objects.count():,} open requests: median "
        f"{statistics.median(times):.2f} ms, worst {max(times):.2f} ms over {runs} runs"
    )
    print(f"  plan: {plan}")


def busy(count: int) -> None:
    started = time.perf_counter()
    run = sweep.sweep(budget_seconds=3600)
    seconds = time.perf_counter() - started
    print(
        f"busy sweep, {count:,} due: {seconds:.1f} s, {run.claimed:,} requests, "
        f"{run.notifications:,} notifications, {Delivery.objects.count():,} deliveries "
        f"({count / seconds:,.0f} requests/s)"
    )


def soak(grid, minutes: int) -> None:
    """Deadlines spread over the next ``minutes``; a sweep every 60 s as beat runs it. Lateness
    is the time from a reminder's moment to its notification row."""
    fill(grid, 1)
    Ticket.objects.all().delete()
    matter = Matter.objects.get(code="stairwell_clutter")
    now = timezone.now()
    rows = []
    for i in range(minutes * 60):
        # The 50% reminder of request i falls i seconds from now.
        submitted = now + dt.timedelta(seconds=i) - dt.timedelta(hours=2)
        ticket = Ticket(
            channel=Channel.QR,
            matter=matter,
            description="浸泡",
            reporter_phone="13812345678",
            area=grid,
            status=Status.SUBMITTED,
            submitted_at=submitted,
            response_due=submitted + dt.timedelta(hours=4),
        )
        timeline.schedule(ticket)
        rows.append(ticket)
    Ticket.objects.bulk_create(rows, batch_size=2000)
    end = time.monotonic() + minutes * 60 + 61
    while time.monotonic() < end:
        tick = time.monotonic()
        sweep.sweep()
        time.sleep(max(0.0, 60 - (time.monotonic() - tick)))
    late = []
    for note in Notification.objects.filter(level=50).prefetch_related("subject"):
        ticket = note.subject
        moment = ticket.submitted_at + (ticket.response_due - ticket.submitted_at) / 2
        late.append((note.created_at - moment).total_seconds())
    late.sort()
    p99 = late[int(len(late) * 0.99) - 1] if late else float("nan")
    print(
        f"soak, {minutes} min, {len(late):,} reminders of {len(rows):,}: lateness median "
        f"{statistics.median(late):.0f} s, p99 {p99:.0f} s, worst {late[-1]:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--soak", type=int, default=0, help="minutes of real-time soak (0: none)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (DATABASE_URL=postgres://…).")
    grid = territory()
    started = time.perf_counter()
    fill(grid, args.open)
    print(f"wrote {args.open:,} open requests in {time.perf_counter() - started:.0f} s")
    idle(args.runs)
    make_due(args.due)
    busy(args.due)
    idle(args.runs)
    if args.soak:
        soak(grid, args.soak)
    print(f"sweep runs recorded: {SweepRun.objects.count()}")


if __name__ == "__main__":
    main()
