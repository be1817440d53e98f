"""The dispatch board's kept counts (``BoardTally``, issue 27): read summed over the areas of a
user's scope, folded every few minutes, recounted nightly.

A trigger on tickets_ticket (migration 0020) inserts a signed row per change of a request's
tabs; an area's counts are the sum of its rows. The fold keeps that to about one row per area;
the recount heals whatever a trigger could not see (a disabled trigger, a restore) and counts
by ``view_filter``, the tabs' one definition in Python.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count

from tickets.models import OPEN_STATUSES, TALLIED_TABS, BoardTally, Status, Ticket
from tickets.selectors import view_filter

# Fold and recount never run at once (either would rewrite rows the other is reading).
_LOCK = 27_0001

# The columns are TALLIED_TABS, written out. Rows inserted by transactions still running are
# not seen by the statement and stay for the next fold. An area whose rows sum to nothing keeps
# one row of zeros: the version of a scope's board (its rows' count and newest id,
# ``tickets.board_cache``) then only ever moves forward, never back to a count it had before.
_FOLD = """
WITH folded AS (
    DELETE FROM tickets_boardtally
    WHERE area_id IN (
        SELECT area_id FROM tickets_boardtally GROUP BY area_id HAVING count(*) > 1
    )
    RETURNING area_id, new, unassigned, review, escalated, open
)
INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
SELECT area_id, sum(new), sum(unassigned), sum(review), sum(escalated), sum(open)
FROM folded
GROUP BY area_id
"""


def kept() -> bool:
    """Whether the trigger keeps the tallies (PostgreSQL); elsewhere the board counts live."""
    return connection.vendor == "postgresql"


@transaction.atomic
def fold() -> int:
    """Sum each area's rows into one (the trigger only inserts); returns how many areas' rows
    were summed (less those that summed to nothing, now gone)."""
    if not kept():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        cursor.execute(_FOLD)
        return cursor.rowcount


@transaction.atomic
def refresh_board_tallies() -> int:
    """Recount every area's kept tabs from the requests, by ``view_filter``; returns how many
    areas hold any. Writes to tickets_ticket wait for the recount (a second or so at district
    scale, nightly): the recount and the trigger's rows must not overlap, or a change would be
    counted twice or not at all."""
    if not kept():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        # Blocks the trigger's inserts (so every write to tickets) until the commit, and waits
        # for the transactions that already inserted: the count below sees all of them.
        cursor.execute("LOCK TABLE tickets_boardtally IN SHARE ROW EXCLUSIVE MODE")
    rows = (
        Ticket.objects.filter(status__in=[*OPEN_STATUSES, Status.RESOLVED])
        .order_by()
        .values("area_id")
        .annotate(**{tab: Count("pk", filter=view_filter(tab, None)) for tab in TALLIED_TABS})
    )
    tallies = [BoardTally(**row) for row in rows]
    # An area that held rows keeps one, of zeros if it counts nothing now (as the fold does).
    counted = {tally.area_id for tally in tallies}
    had = set(BoardTally.objects.values_list("area_id", flat=True).distinct())
    tallies += [BoardTally(area_id=area_id) for area_id in sorted(had - counted)]
    BoardTally.objects.all().delete()
    BoardTally.objects.bulk_create(tallies, batch_size=1000)
    return len(tallies)
