"""Fill a database to district scale for the dashboard benchmark (bench/dashboards.py).

    createdb grid_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench
    DEBUG=1 .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py seed_demo --scale district   # 1,000 grids, 600k homes
    .venv/bin/python bench/generate.py [--tickets 2000000] [--visits 3000000] [--days 730]
    .venv/bin/python bench/generate.py --check      # the consistency check alone

On top of the district demo it adds requests and visits spread over the last ``--days`` days
with SQL ``generate_series`` (minutes, not hours): requests of every channel and matter in
every grid, most older ones closed and rated, recent ones open at every stage, a few
escalated, each with the timeline of moves the state machine would have made to get there;
visits to random households by a worker of their grid. Then it rebuilds the
dashboards' rollups for the whole range and the areas' standing, as the nightly jobs would,
checks that the new requests look like the ones the product makes (``check``: the counts of
violations, all zero, else the exit status is 1), and prints what it made and how long each
step took. Rerunning adds more of the same.

The rows are made by construction, not through the services: foreign keys are not checked
while they are written (``session_replication_role = replica`` when the database user may,
as the superuser of a bench database may), which halves the time; the ids they point to are
read from the database in the same statement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def bootstrap() -> None:
    """Django with the production settings and the development keys (as a script only: the
    tests import this module with their own settings)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    from governance import devkeys

    os.environ.update(devkeys.environ())
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("LOG_LEVEL", "ERROR")

    import django

    django.setup()


# Each request with its whole timeline, in one statement: the rows, then one event per move
# the state machine (tickets/services.py) makes on the way to the request's status, so the
# chain of states never breaks and the version counts the moves. Every moment lies between
# the report and now: response, work and review take a share of the time since the report.
# Deadlines are uniform (24 hours to respond, 5 days to complete, not the catalogue's); 报到
# after an escalation restarts the completion clock and the deadline's version, as
# ``services.acknowledge`` does. ``next_check_at`` is what ``timeline.schedule`` sets when no
# sweep has run yet (``checked_until`` empty): the request's first point (the first reminder
# of the stage it is in, an unclaimed wish's point if sooner, the end of the review period of
# a resolved one), so the sweep catches up on the backlog as after an outage. Ids are drawn
# from the sequence first, so the events need no join back to the rows they belong to.
TICKETS = """
WITH drawn AS (
    SELECT id, n, at, r, r2, r3, status,
        at + accept AS accepted,
        at + accept + work AS resolved,
        -- Handled until it was resolved, or until now.
        at + accept + CASE WHEN status IN ('resolved', 'closed') THEN work
            ELSE now() - at - accept END AS handled,
        1 + floor(r3 * array_length(grids, 1))::int AS place,
        matters[1 + (n %% array_length(matters, 1))] AS matter
    FROM (
        SELECT id, n, at, r, r2, r3,
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
            SELECT nextval(pg_get_serial_sequence('tickets_ticket', 'id')) AS id, n,
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
timed AS (
    SELECT s.*,
        CASE
            WHEN status = 'rejected' THEN accepted
            WHEN auto_closed THEN resolved + %(review)s * interval '1 day'
            WHEN status = 'closed' THEN resolved + least(interval '1 day', (now() - resolved) / 2)
        END AS closed,
        -- The completion clock: from acceptance, or from 报到 after an escalation.
        coalesce(acknowledged, accepted) AS clock
    FROM shaped AS s
),
made AS (
    INSERT INTO tickets_ticket (
        id, version, short_code, tracking_token, channel, description, address, status,
        status_before_suspension, reporter_name, reporter_phone, reporter_phone_hash,
        submitted_at, response_due,
        accepted_at, completion_due, resolved_at, closed_at, deadline_version,
        next_check_at, escalated_at, escalation_level, acknowledged_at, rating,
        rating_comment, reopen_count, auto_closed, public_reason, idempotency_key,
        idempotency_fingerprint, created_at, updated_at, area_id, matter_id, assignee_id
    )
    SELECT
        id,
        1 + CASE status WHEN 'submitted' THEN 0 WHEN 'rejected' THEN 1 WHEN 'accepted' THEN 1
            WHEN 'assigned' THEN 2 WHEN 'in_progress' THEN 3 WHEN 'resolved' THEN 4 ELSE 5 END
            + (escalated IS NOT NULL)::int + (acknowledged IS NOT NULL)::int,
        'B' || lpad(upper(to_hex(id)), 7, '0'),
        'bench-' || id,
        (ARRAY['qr', 'qr', 'qr', 'field', 'field', 'staff', 'system'])[1 + (n %% 7)],
        '楼道堆物，影响通行', '', status, '', '', %(phone)s, %(phone_hash)s,
        at, at + interval '24 hours',
        CASE WHEN status NOT IN ('submitted', 'rejected') THEN accepted END,
        CASE WHEN status NOT IN ('submitted', 'rejected') THEN clock + interval '5 days' END,
        CASE WHEN status IN ('resolved', 'closed') THEN resolved END,
        closed,
        CASE WHEN status IN ('submitted', 'rejected') THEN 1
            ELSE 2 + (acknowledged IS NOT NULL)::int END,
        CASE
            WHEN status = 'submitted' THEN at + interval '24 hours' * %(share)s
            -- An accepted wish nobody took is also due for its "unclaimed" notice.
            WHEN status = 'accepted' AND matter = %(wish)s THEN least(
                clock + interval '5 days' * %(share)s,
                accepted + %(unclaimed)s * interval '1 day')
            WHEN status IN ('accepted', 'assigned', 'in_progress')
                THEN clock + interval '5 days' * %(share)s
            WHEN status = 'resolved' THEN resolved + %(review)s * interval '1 day'
        END,
        escalated, (escalated IS NOT NULL)::int, acknowledged,
        CASE WHEN status = 'closed' AND NOT auto_closed THEN
            (ARRAY[5, 5, 5, 5, 5, 5, 4, 4, 4, 3])[1 + (n %% 10)] END,
        '', 0, auto_closed, '', '', '', at,
        -- Saved last by its last move.
        CASE
            WHEN status IN ('closed', 'rejected') THEN closed
            WHEN status = 'resolved' THEN resolved
            WHEN status = 'in_progress' THEN started
            WHEN status = 'assigned' THEN assigned
            WHEN status = 'accepted' THEN coalesce(acknowledged, escalated, accepted)
            ELSE at
        END,
        CASE WHEN escalated IS NOT NULL THEN communities[place] ELSE grids[place] END,
        matter,
        -- Assigned to a worker of the grid, or by the community it was escalated to to one of
        -- its officers (each may take it, as services.assign checks).
        CASE WHEN status IN ('assigned', 'in_progress', 'resolved', 'closed') THEN
            CASE WHEN escalated IS NOT NULL THEN officers[place] ELSE workers[place] END END
    FROM timed,
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
)
INSERT INTO tickets_event (ticket_id, at, action, from_status, to_status, note, public, actor_id)
SELECT timed.id, moves.at, moves.action, moves.before, moves.after, '', true, NULL
FROM timed
CROSS JOIN LATERAL (VALUES
    (1, timed.at, 'submit', '', 'submitted', true),
    (2, timed.accepted, 'reject', 'submitted', 'rejected', timed.status = 'rejected'),
    (3, timed.accepted, 'accept', 'submitted', 'accepted',
        timed.status NOT IN ('submitted', 'rejected')),
    (4, timed.escalated, 'escalate', 'accepted', 'accepted', timed.escalated IS NOT NULL),
    (5, timed.acknowledged, 'acknowledge', 'accepted', 'accepted',
        timed.acknowledged IS NOT NULL),
    (6, timed.assigned, 'assign', 'accepted', 'assigned',
        timed.status IN ('assigned', 'in_progress', 'resolved', 'closed')),
    (7, timed.started, 'start', 'assigned', 'in_progress',
        timed.status IN ('in_progress', 'resolved', 'closed')),
    (8, timed.resolved, 'resolve', 'in_progress', 'resolved',
        timed.status IN ('resolved', 'closed')),
    (9, timed.closed, CASE WHEN timed.auto_closed THEN 'close' ELSE 'rate' END,
        'resolved', 'closed', timed.status = 'closed')
) AS moves(n, at, action, before, after, applies)
WHERE moves.applies
-- Event ids in the order of the moves: the timeline reads them so.
ORDER BY timed.id, moves.n
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

# --- The consistency check ----------------------------------------------------------------------
# What every request the product makes satisfies, counted over the requests with an id above
# ``since`` (all of them by default). One pass over the events, in id order per request.
EVENTS_CHECK = """
WITH ordered AS (
    SELECT e.ticket_id, e.at, e.action, e.to_status,
        lag(e.at) OVER w AS before,
        row_number() OVER (PARTITION BY e.ticket_id ORDER BY e.id DESC) AS from_last
    FROM tickets_event AS e
    WHERE e.ticket_id > %(since)s
    WINDOW w AS (PARTITION BY e.ticket_id ORDER BY e.id)
),
per_ticket AS (
    SELECT ticket_id,
        count(*) FILTER (WHERE at < before) AS backwards,
        count(*) FILTER (WHERE at > now()) AS future,
        min(at) AS first_at,
        count(*) FILTER (WHERE action <> 'note') AS moves,
        max(to_status) FILTER (WHERE from_last = 1) AS last_status
    FROM ordered
    GROUP BY ticket_id
)
SELECT
    count(*) FILTER (WHERE p.backwards > 0),
    count(*) FILTER (WHERE p.future > 0),
    count(*) FILTER (WHERE p.first_at < t.submitted_at),
    count(*) FILTER (WHERE p.ticket_id IS NULL),
    count(*) FILTER (WHERE p.last_status <> t.status),
    count(*) FILTER (WHERE p.moves <> t.version)
FROM tickets_ticket AS t
LEFT JOIN per_ticket AS p ON p.ticket_id = t.id
WHERE t.id > %(since)s
"""

TICKETS_CHECK = """
SELECT
    count(*) FILTER (WHERE greatest(submitted_at, accepted_at, resolved_at, closed_at,
        escalated_at, acknowledged_at, created_at, updated_at) > now()),
    count(*) FILTER (WHERE status IN ('closed', 'rejected', 'merged')
        AND next_check_at IS NOT NULL)
FROM tickets_ticket
WHERE id > %(since)s
"""

CHECKS = (
    ("events out of order (an event before the one written ahead of it)", "backwards"),
    ("events in the future", "future_events"),
    ("events before the request was submitted", "before_submission"),
    ("requests without a timeline", "no_events"),
    ("status is not the last event's", "status_mismatch"),
    ("version is not the number of moves", "version_mismatch"),
    ("request timestamps in the future", "future_times"),
    ("closed or rejected with a next check", "final_with_check"),
    ("open or resolved without the next check its timeline has", "missing_check"),
    ("next check not the timeline's", "wrong_check"),
)


def check(since: int = 0, report: Callable[[str], None] | None = print) -> dict[str, int]:
    """Count the requests (id above ``since``) that break what the product keeps true:
    events in order and between the report and now, the status the last event's, the version
    the number of moves, no moment in the future, and ``next_check_at`` what
    ``tickets.timeline`` gives for the request (its first point after ``checked_until``)."""
    from django.db import connection

    from tickets.models import Status, Ticket
    from tickets.sweep import SWEEP_FIELDS
    from tickets.timeline import next_check

    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(EVENTS_CHECK, {"since": since})
        (
            found["backwards"],
            found["future_events"],
            found["before_submission"],
            found["no_events"],
            found["status_mismatch"],
            found["version_mismatch"],
        ) = cursor.fetchone()
        cursor.execute(TICKETS_CHECK, {"since": since})
        found["future_times"], found["final_with_check"] = cursor.fetchone()
    # The timeline itself (Python, as the services and the sweep read it) for every request
    # that can have a point: those still open and those waiting for their review.
    missing = wrong = 0
    timed = (
        Ticket.objects.filter(pk__gt=since)
        .exclude(status__in=[Status.CLOSED, Status.REJECTED, Status.MERGED])
        .select_related("matter", "area")
        .only(*SWEEP_FIELDS)
        .order_by()
    )
    for ticket in timed.iterator(chunk_size=5000):
        expected = next_check(ticket, ticket.checked_until)
        if ticket.next_check_at is None and expected is not None:
            missing += 1
        elif ticket.next_check_at != expected:
            wrong += 1
    found["missing_check"], found["wrong_check"] = missing, wrong
    if report:
        for label, key in CHECKS:
            report(f"  {found[key]:>9,}  {label}")
    return found


# --- Generating ---------------------------------------------------------------------------------


# The tables the generator writes. Replica mode skips every trigger, not only the foreign
# keys' checks: with a trigger of the application's own on one of them (a kept counter, say),
# the rows are written with the checks on.
WRITTEN = ("tickets_ticket", "tickets_event", "grids_visit")


def _bulk_session(cursor) -> None:
    """Settings of a bulk-writing transaction: foreign-key triggers skipped when allowed (a
    superuser) and nothing else would be skipped, room to sort in memory."""
    cursor.execute(
        "SELECT current_setting('is_superuser') = 'on' AND NOT EXISTS (SELECT 1 FROM pg_trigger"
        " WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[]))",
        [list(WRITTEN)],
    )
    if cursor.fetchone()[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")
    # New requests have no kept page: their events need not move its version (tickets 0026).
    cursor.execute("SET LOCAL grid.bulk_load = on")
    # The events are sorted by request and move before they are written: in memory.
    cursor.execute("SET LOCAL work_mem = '256MB'")


class _Visits(threading.Thread):
    """Visits to random households by a worker of their grid, in a connection of its own."""

    def __init__(self, count: int, days: int, batch: int, report: Callable[[str], None]):
        super().__init__(name="visits")
        self.count, self.days, self.batch, self.report = count, days, batch, report
        self.made = 0
        self.failed: BaseException | None = None

    def run(self) -> None:
        from django.db import connection, transaction

        from grids.roles import Role

        roles = ", ".join(
            f"'{role}'" for role in (Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_WORKER)
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT min(id), max(id) FROM grids_household")
                low, high = cursor.fetchone()
                while self.made < self.count and low is not None:
                    count = min(self.batch, self.count - self.made)
                    with transaction.atomic():
                        _bulk_session(cursor)
                        cursor.execute(
                            VISITS
                            % {
                                "low": low,
                                "span": high - low + 1,
                                "days": self.days,
                                "count": count,
                                "roles": roles,
                            }
                        )
                    self.made += count
                    self.report(f"  visits: {self.made:,}")
        except BaseException as error:  # handed to the main thread, which raises it
            self.failed = error
        finally:
            connection.close()


def generate(
    *,
    tickets: int,
    visits: int,
    days: int = 730,
    batch: int = 250_000,
    rollups: bool = True,
    report: Callable[[str], None] = print,
) -> int:
    """Add ``tickets`` requests and ``visits`` visits; returns the last id before the new
    requests (what ``check(since=…)`` takes)."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from core.crypto import digest
    from dashboards.rollup import caught_up, rebuild
    from dashboards.standing import refresh_standing
    from tickets import board_tallies
    from tickets.models import WISH_MATTER, Matter, Ticket
    from tickets.timeline import AUTO_CLOSE_DAYS

    started = time.monotonic()

    def step(label: str) -> None:
        nonlocal started
        now = time.monotonic()
        report(f"{label}: {now - started:.1f}s")
        started = now

    shares = settings.REMINDER_SHARES
    timeline = {
        # The first point of a stage: its first reminder, or the deadline when there are none.
        "share": min(shares) / 100 if shares else 1,
        "review": AUTO_CLOSE_DAYS,
        "unclaimed": settings.WISH_UNCLAIMED_DAYS,
        "wish": Matter.objects.get(code=WISH_MATTER).pk,
        # One mobile for every request, stored as the app stores it (encrypted, core.fields):
        # reading a request costs its decryption, as in production.
        "phone": Ticket._meta.get_field("reporter_phone").get_prep_value("13800000000"),
        "phone_hash": digest("13800000000", purpose="mobile"),
    }
    # The visits in a second connection meanwhile: each INSERT keeps one core busy.
    drawing = _Visits(visits, days, batch, report)
    drawing.start()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
        since = cursor.fetchone()[0]
        made = 0
        while made < tickets:
            count = min(batch, tickets - made)
            with transaction.atomic():
                _bulk_session(cursor)
                cursor.execute(TICKETS, {"count": count, "days": days, **timeline})
            made += count
            report(f"  requests: {made:,}")
        step(f"{made:,} requests")
        drawing.join()
        if drawing.failed:
            raise drawing.failed
        step(f"{drawing.made:,} visits drawn (at the same time)")
        # The trigger wrote a board tally row per request; beat folds them every 5 minutes,
        # and the board reads their sum (and its version) on every page.
        areas = board_tallies.fold()
        step(f"board tallies folded ({areas:,} areas)")
        # The fold deleted the row of every request it summed. A production server's
        # autovacuum reclaims them and the fold's next rows fill the table from the front;
        # with autovacuum off (these machines), every board above a community would scan the
        # 2 M dead rows (130 MB) to sum a thousand live ones. Rewritten: a row per area.
        cursor.execute("VACUUM FULL tickets_boardtally")
        step("board tallies rewritten")
        cursor.execute("ANALYZE")
        step("ANALYZE")
    if rollups:
        today = timezone.localdate()
        rebuild(today - dt.timedelta(days=days + 1), today)
        caught_up(timezone.now())
        step(f"rollups rebuilt for {days + 2} days")
        rows = refresh_standing()
        step(f"standing of {rows} areas")
    return since


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2_000_000)
    parser.add_argument("--visits", type=int, default=3_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--batch", type=int, default=250_000, help="rows per INSERT")
    parser.add_argument(
        "--check", action="store_true", help="only count the violations, over every request"
    )
    args = parser.parse_args()
    bootstrap()
    from django.db import connection

    from grids.models import Area
    from grids.roles import Level

    if connection.vendor != "postgresql":
        sys.exit("bench/generate.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    if args.check:
        print("Consistency of every request:")
        sys.exit(1 if any(check().values()) else 0)
    if not Area.objects.filter(level=Level.GRID).exists():
        sys.exit("load the district first: manage.py seed_demo --scale district")
    began = time.monotonic()
    since = generate(tickets=args.tickets, visits=args.visits, days=args.days, batch=args.batch)
    generated = time.monotonic() - began
    grids = Area.objects.filter(level=Level.GRID).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        tickets = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM grids_visit")
        visits = cursor.fetchone()[0]
    print(f"now: {grids:,} grids, {tickets:,} requests, {visits:,} visits")
    print(f"generated in {generated / 60:.1f} min; consistency of the new requests:")
    started = time.monotonic()
    found = check(since=since)
    print(f"check: {time.monotonic() - started:.1f}s")
    sys.exit(1 if any(found.values()) else 0)


if __name__ == "__main__":
    main()
