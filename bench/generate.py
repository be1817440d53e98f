"""Fill a database to district scale for the dashboard benchmark (bench/dashboards.py).

    createdb grid_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench
    DEBUG=1 .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py seed_demo --scale district   # 1,000 grids, 600k homes
    .venv/bin/python bench/generate.py [--tickets 2000000] [--visits 3000000] [--days 730]

On top of the district demo it adds requests and visits spread over the last ``--days`` days
with SQL ``generate_series`` (minutes, not hours): requests of every channel and matter in
every grid, most older ones closed and rated, recent ones open at every stage, a few
escalated, each with the timeline of moves the state machine would have made to get there;
visits to random households by a worker of their grid. Then it rebuilds the
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
from governance import devkeys

os.environ.update(devkeys.environ())
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.crypto import digest  # noqa: E402
from dashboards.rollup import caught_up, rebuild  # noqa: E402
from dashboards.standing import refresh_standing  # noqa: E402
from grids.models import Area  # noqa: E402
from grids.roles import Level, Role  # noqa: E402
from tickets.models import WISH_MATTER, Matter, Ticket  # noqa: E402
from tickets.timeline import AUTO_CLOSE_DAYS  # noqa: E402

# Each request with its whole timeline, in one statement: the rows, then one event per move
# the state machine (tickets/services.py) makes on the way to the request's status, so the
# chain of states never breaks and the version counts the moves. Every moment lies between
# the report and now: response, work and review take a share of the time since the report.
# Deadlines are uniform (24 hours to respond, 5 days to complete, not the catalogue's);
# ``next_check_at`` is the first point of the request's own timeline (tickets/timeline.py:
# the first reminder, the wish-unclaimed point, the end of the review period), so the sweep
# catches up on the backlog as after an outage.
TICKETS = """
WITH drawn AS (
    SELECT n, at, r, r2, r3, status,
        at + accept AS accepted,
        at + accept + work AS resolved,
        -- Handled until it was resolved, or until now.
        at + accept + CASE WHEN status IN ('resolved', 'closed') THEN work
            ELSE now() - at - accept END AS handled,
        1 + floor(r3 * array_length(grids, 1))::int AS place,
        matters[1 + (n %% array_length(matters, 1))] AS matter
    FROM (
        SELECT n, at, r, r2, r3,
            random() * least(interval '40 hours', (now() - at) * 0.3) AS accept,
            random() * least(interval '9 days', (now() - at) * 0.6) AS work,
            CASE
                WHEN age > 30 THEN
                    CASE WHEN r < 0.04 THEN 'rejected' WHEN r < 0.08 THEN 'resolved'
                    ELSE 'closed' END
                ELSE (ARRAY['submitted', 'accepted', 'assigned', 'in_progress', 'in_progress',
                            'resolved', 'closed', 'closed', 'closed', 'rejected'])[1 + (n %% 10)]
            END AS status
        FROM (
            SELECT n,
                now() - random() * (%(days)s * interval '1 day') AS at,
                random() AS r, random() AS r2, random() AS r3
            FROM generate_series(1, %(count)s) AS n
        ) AS times
        CROSS JOIN LATERAL (SELECT extract(day FROM now() - at) AS age) AS aged
    ) AS picked,
    (SELECT array_agg(id) AS grids FROM grids_area WHERE level = 'grid') AS g,
    (SELECT array_agg(id ORDER BY id) AS matters FROM tickets_matter WHERE active) AS m
),
shaped AS (
    SELECT d.*,
        -- 吹哨 soon after acceptance and 报到 a little later, then assigned, then started.
        CASE WHEN r < 0.05 AND status NOT IN ('submitted', 'rejected')
            THEN accepted + (handled - accepted) * 0.02 END AS escalated,
        CASE WHEN r < 0.03 AND status NOT IN ('submitted', 'rejected')
            THEN accepted + (handled - accepted) * 0.05 END AS acknowledged,
        accepted + (handled - accepted) * 0.1 AS assigned,
        accepted + (handled - accepted) * 0.2 AS started,
        -- Unrated only when the review period is over (the sweep's auto-close); a rating
        -- that closes is 3–5 stars, as 1–2 reopen a request.
        status = 'closed' AND r2 >= 0.8 AND resolved + %(review)s * interval '1 day' < now()
            AS auto_closed
    FROM drawn AS d
),
made AS (
    INSERT INTO tickets_ticket (
        version, short_code, tracking_token, channel, description, address, status,
        status_before_suspension, reporter_name, reporter_phone, reporter_phone_hash,
        submitted_at, response_due,
        accepted_at, completion_due, resolved_at, closed_at, deadline_version,
        next_check_at, escalated_at, escalation_level, acknowledged_at, rating,
        rating_comment, reopen_count, auto_closed, public_reason, idempotency_key,
        idempotency_fingerprint, created_at, updated_at, area_id, matter_id, assignee_id
    )
    SELECT
        1 + CASE status WHEN 'submitted' THEN 0 WHEN 'rejected' THEN 1 WHEN 'accepted' THEN 1
            WHEN 'assigned' THEN 2 WHEN 'in_progress' THEN 3 WHEN 'resolved' THEN 4 ELSE 5 END
            + (escalated IS NOT NULL)::int + (acknowledged IS NOT NULL)::int,
        'B' || lpad(upper(to_hex(%(offset)s + n)), 7, '0'),
        'bench-' || (%(offset)s + n),
        (ARRAY['qr', 'qr', 'qr', 'field', 'field', 'staff', 'system'])[1 + (n %% 7)],
        '楼道堆物，影响通行', '', status, '', '', %(phone)s, %(phone_hash)s,
        at, at + interval '24 hours',
        CASE WHEN status NOT IN ('submitted', 'rejected') THEN accepted END,
        CASE WHEN status NOT IN ('submitted', 'rejected') THEN accepted + interval '5 days' END,
        CASE WHEN status IN ('resolved', 'closed') THEN resolved END,
        CASE
            WHEN status = 'rejected' THEN accepted
            WHEN auto_closed THEN resolved + %(review)s * interval '1 day'
            WHEN status = 'closed' THEN resolved + least(interval '1 day', (now() - resolved) / 2)
        END,
        CASE WHEN status IN ('submitted', 'rejected') THEN 1 ELSE 2 END,
        CASE
            WHEN status = 'submitted' THEN at + interval '24 hours' * %(share)s
            WHEN status = 'accepted' AND matter = %(wish)s THEN least(
                accepted + interval '5 days' * %(share)s,
                accepted + %(unclaimed)s * interval '1 day')
            WHEN status IN ('accepted', 'assigned', 'in_progress')
                THEN accepted + interval '5 days' * %(share)s
            WHEN status = 'resolved' THEN resolved + %(review)s * interval '1 day'
        END,
        escalated, (escalated IS NOT NULL)::int, acknowledged,
        CASE WHEN status = 'closed' AND NOT auto_closed THEN
            (ARRAY[5, 5, 5, 5, 5, 5, 4, 4, 4, 3])[1 + (n %% 10)] END,
        '', 0, auto_closed, '', '', '', at, at,
        CASE WHEN escalated IS NOT NULL THEN communities[place] ELSE grids[place] END,
        matter,
        -- Assigned to a worker of the grid, or by the community it was escalated to to one of
        -- its officers (each may take it, as services.assign checks).
        CASE WHEN status IN ('assigned', 'in_progress', 'resolved', 'closed') THEN
            CASE WHEN escalated IS NOT NULL THEN officers[place] ELSE workers[place] END END
    FROM shaped,
    (
        SELECT array_agg(g.id ORDER BY g.id) AS grids,
            array_agg(c.id ORDER BY g.id) AS communities,
            array_agg(w.user_id ORDER BY g.id) AS workers,
            array_agg(o.user_id ORDER BY g.id) AS officers
        FROM grids_area AS g
        JOIN grids_area AS c ON c.path = left(g.path, length(g.path) - 4)
        LEFT JOIN (
            SELECT area_id, min(user_id) AS user_id FROM grids_post
            WHERE role IN ('grid_leader', 'grid_worker', 'part_time_worker') AND ended_on IS NULL
            GROUP BY area_id
        ) AS w ON w.area_id = g.id
        LEFT JOIN (
            SELECT area_id, min(user_id) AS user_id FROM grids_post
            WHERE role = 'community_staff' AND ended_on IS NULL GROUP BY area_id
        ) AS o ON o.area_id = c.id
        WHERE g.level = 'grid'
    ) AS a
    RETURNING id, tracking_token, closed_at
)
INSERT INTO tickets_event (ticket_id, at, action, from_status, to_status, note, public, actor_id)
SELECT made.id, moves.at, moves.action, moves.before, moves.after, '', true, NULL
FROM made
JOIN shaped ON made.tracking_token = 'bench-' || (%(offset)s + shaped.n)
CROSS JOIN LATERAL (VALUES
    (1, shaped.at, 'submit', '', 'submitted', true),
    (2, shaped.accepted, 'reject', 'submitted', 'rejected', shaped.status = 'rejected'),
    (3, shaped.accepted, 'accept', 'submitted', 'accepted',
        shaped.status NOT IN ('submitted', 'rejected')),
    (4, shaped.escalated, 'escalate', 'accepted', 'accepted', shaped.escalated IS NOT NULL),
    (5, shaped.acknowledged, 'acknowledge', 'accepted', 'accepted',
        shaped.acknowledged IS NOT NULL),
    (6, shaped.assigned, 'assign', 'accepted', 'assigned',
        shaped.status IN ('assigned', 'in_progress', 'resolved', 'closed')),
    (7, shaped.started, 'start', 'assigned', 'in_progress',
        shaped.status IN ('in_progress', 'resolved', 'closed')),
    (8, shaped.resolved, 'resolve', 'in_progress', 'resolved',
        shaped.status IN ('resolved', 'closed')),
    (9, made.closed_at, CASE WHEN shaped.auto_closed THEN 'close' ELSE 'rate' END,
        'resolved', 'closed', shaped.status = 'closed')
) AS moves(n, at, action, before, after, applies)
WHERE moves.applies
ORDER BY made.id, moves.n
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
    timeline = {
        "share": min(settings.REMINDER_SHARES) / 100,
        "review": AUTO_CLOSE_DAYS,
        "unclaimed": settings.WISH_UNCLAIMED_DAYS,
        "wish": Matter.objects.get(code=WISH_MATTER).pk,
        # One mobile for every request, stored as the app stores it (encrypted, core.fields):
        # reading a request costs its decryption, as in production.
        "phone": Ticket._meta.get_field("reporter_phone").get_prep_value("13800000000"),
        "phone_hash": digest("13800000000", purpose="mobile"),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
        offset = cursor.fetchone()[0]
        made = 0
        while made < args.tickets:
            count = min(args.batch, args.tickets - made)
            with transaction.atomic():
                cursor.execute(
                    TICKETS,
                    {
                        "offset": offset + made,
                        "count": count,
                        "days": args.days,
                        **timeline,
                    },
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
