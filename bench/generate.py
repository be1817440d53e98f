"""Fill a database to district scale for the dashboard benchmark (bench/dashboards.py).

    createdb grid_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench
    DEBUG=1 .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py seed_demo --scale district   # 1,000 grids, 600k homes
    .venv/bin/python bench/generate.py [--tickets 2000000] [--visits 3000000] [--days 730]

On top of the district demo it adds requests and visits spread over the last ``--days`` days
with SQL ``generate_series`` (minutes, not hours): requests of every channel and matter in
every grid, most older ones closed and rated, recent ones open at every stage, a few
escalated; visits to random households by a worker of their grid. Then it rebuilds the
dashboards' rollups for the whole range and the areas' standing, as the nightly jobs would,
and prints what it made and how long each step took. Rerunning adds more of the same.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from dashboards.rollup import caught_up, rebuild  # noqa: E402
from dashboards.standing import refresh_standing  # noqa: E402
from grids.models import Area  # noqa: E402
from grids.roles import Level, Role  # noqa: E402

TICKETS = """
INSERT INTO tickets_ticket (
    version, short_code, tracking_token, channel, description, address, status,
    status_before_suspension, reporter_name, reporter_phone, submitted_at, response_due,
    accepted_at, completion_due, resolved_at, closed_at, deadline_version, escalation_level,
    acknowledged_at, rating, rating_comment, reopen_count, auto_closed, public_reason,
    idempotency_key, created_at, updated_at, area_id, matter_id
)
SELECT
    1,
    'B' || lpad(upper(to_hex(%(offset)s + n)), 7, '0'),
    'bench-' || (%(offset)s + n),
    (ARRAY['qr', 'qr', 'qr', 'field', 'field', 'staff', 'system'])[1 + (n %% 7)],
    '楼道堆物，影响通行', '', status, '', '', '13800000000',
    at, at + interval '24 hours',
    CASE WHEN status NOT IN ('submitted', 'rejected') THEN at + accept END,
    at + interval '5 days',
    CASE WHEN status IN ('resolved', 'closed') THEN at + accept + work END,
    CASE WHEN status = 'closed' THEN at + accept + work + interval '1 day' END,
    0,
    CASE WHEN r < 0.05 THEN 1 ELSE 0 END,
    CASE WHEN r < 0.03 AND status NOT IN ('submitted', 'rejected') THEN at + accept END,
    CASE WHEN status = 'closed' AND r2 < 0.8 THEN
        (ARRAY[5, 5, 5, 5, 4, 4, 4, 3, 2, 1])[1 + floor(r2 * 12.5)::int] END,
    '', 0, false, '', '', at, at,
    grids[1 + floor(r3 * array_length(grids, 1))::int],
    matters[1 + (n %% array_length(matters, 1))]
FROM (
    SELECT n, at, r, r2, r3, accept, work,
        CASE
            WHEN age > 30 THEN
                CASE WHEN r < 0.04 THEN 'rejected' WHEN r < 0.08 THEN 'resolved' ELSE 'closed' END
            ELSE (ARRAY['submitted', 'accepted', 'assigned', 'in_progress', 'in_progress',
                        'resolved', 'closed', 'closed', 'closed', 'rejected'])[1 + (n %% 10)]
        END AS status
    FROM (
        SELECT n,
            now() - random() * (%(days)s * interval '1 day') AS at,
            random() AS r, random() AS r2, random() AS r3,
            random() * interval '40 hours' AS accept,
            random() * interval '9 days' AS work
        FROM generate_series(1, %(count)s) AS n
    ) AS drawn
    CROSS JOIN LATERAL (SELECT extract(day FROM now() - at) AS age) AS aged
) AS t,
(SELECT array_agg(id) AS grids FROM grids_area WHERE level = 'grid') AS g,
(SELECT array_agg(id ORDER BY id) AS matters FROM tickets_matter WHERE active) AS m
"""

VISITS = """
INSERT INTO grids_visit (
    client_id, kind, visited_at, people_met, findings, tags, follow_up, created_at,
    by_id, grid_id, household_id
)
SELECT gen_random_uuid(), 'routine', at, '', '家中一切正常', '["all_well"]'::jsonb, false, at,
    w.user_id, h.grid_id, h.id
FROM (
    SELECT (%(low)s + floor(random() * %(span)s))::bigint AS household,
        now() - random() * (%(days)s * interval '1 day') AS at
    FROM generate_series(1, %(count)s)
) AS drawn
JOIN grids_household h ON h.id = drawn.household
JOIN (
    SELECT area_id, min(user_id) AS user_id FROM grids_post
    WHERE role IN (%(roles)s) AND ended_on IS NULL GROUP BY area_id
) AS w ON w.area_id = h.grid_id
"""


def step(label: str, started: float) -> float:
    now = time.monotonic()
    print(f"{label}: {now - started:.1f}s", flush=True)
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2_000_000)
    parser.add_argument("--visits", type=int, default=3_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--batch", type=int, default=250_000, help="rows per INSERT")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/generate.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    if not Area.objects.filter(level=Level.GRID).exists():
        sys.exit("load the district first: manage.py seed_demo --scale district")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
        offset = cursor.fetchone()[0]
        made = 0
        while made < args.tickets:
            count = min(args.batch, args.tickets - made)
            with transaction.atomic():
                cursor.execute(
                    TICKETS, {"offset": offset + made, "count": count, "days": args.days}
                )
            made += count
            print(f"  requests: {made:,}", flush=True)
        started = step(f"{made:,} requests", started)
        cursor.execute("SELECT min(id), max(id) FROM grids_household")
        low, high = cursor.fetchone()
        roles = ", ".join(
            f"'{role}'" for role in (Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_WORKER)
        )
        made = 0
        while made < args.visits:
            count = min(args.batch, args.visits - made)
            with transaction.atomic():
                cursor.execute(
                    VISITS
                    % {
                        "low": low,
                        "span": high - low + 1,
                        "days": args.days,
                        "count": count,
                        "roles": roles,
                    }
                )
            made += count
            print(f"  visits: {made:,}", flush=True)
        started = step(f"{made:,} visits drawn", started)
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        tickets = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM grids_visit")
        visits = cursor.fetchone()[0]
        started = step("ANALYZE", started)
    today = timezone.localdate()
    rebuild(today - dt.timedelta(days=args.days + 1), today)
    caught_up(timezone.now())
    started = step(f"rollups rebuilt for {args.days + 2} days", started)
    rows = refresh_standing()
    step(f"standing of {rows} areas", started)
    grids = Area.objects.filter(level=Level.GRID).count()
    print(f"now: {grids:,} grids, {tickets:,} requests, {visits:,} visits")


if __name__ == "__main__":
    main()
