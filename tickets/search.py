"""The board's search (issue 27): a request's code by its unique index, or its text.

On PostgreSQL a search of two characters or more can first narrow to the requests whose text
holds every two-character piece of it (a GIN index, tickets/migrations/0024_text_bigrams.py),
then check the text itself: a rare phrase is found among 2 M requests in milliseconds, where
scanning them took 470 ms. A phrase whose every piece is common ("楼道" in a district where
every other request is about a stairwell) is found sooner by walking the tab in its order
until a page is full: the index would hand over most of the district first, and the pieces
would be worked out again for every row the walk meets. The planner's own statistics of the
index say which pieces are common. One character, or SQLite: the text is scanned.
"""

from __future__ import annotations

import re
import time

from django.db import connection
from django.db.models import BooleanField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

# The indexed expression, written as the migration wrote it: the planner only uses the index
# for this very expression.
TEXT = (
    'tickets_bigrams(upper("tickets_ticket"."description" || chr(31) '
    '|| "tickets_ticket"."address"))'
)
# Eight letters and digits, at least one digit: what a request's code looks like.
CODE_SHAPED = re.compile(r"(?=[A-Za-z]*[0-9])[A-Za-z0-9]{8}")
# A piece in more than this share of requests is common (see the module's docstring).
COMMON = 0.01
# The statistics change only when ANALYZE runs (autovacuum, after many writes).
STATS_SECONDS = 600

_stats: tuple[float, dict[str, float]] | None = None


def _common_pieces() -> dict[str, float]:
    """The index's most common pieces and the share of requests holding each (pg_stats, read
    at most every STATS_SECONDS per process)."""
    global _stats
    if _stats is not None and time.monotonic() - _stats[0] < STATS_SECONDS:
        return _stats[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'ticket_text_bigrams'"
        )
        row = cursor.fetchone()
    pieces = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    _stats = (time.monotonic(), pieces)
    return pieces


def _pieces(q: str) -> set[str]:
    q = q.upper()
    return {q[i : i + 2] for i in range(len(q) - 1)}


def _contains(field: str, q: str) -> Q:
    return Q(GreaterThan(StrIndex(Upper(field), Upper(Value(q))), 0))


def matching(q: str) -> Q:
    """Requests a board search for ``q`` finds: by code, or by description or location."""
    if CODE_SHAPED.fullmatch(q):
        # A request's code (a word with a digit in it is not a description): by the unique
        # index, not a scan of every description in the tab.
        return Q(short_code=q.upper())
    return Q(short_code=q.upper()) | text_q(q)


def text_q(q: str) -> Q:
    """Requests whose description or location holds ``q``, in any case."""
    # As LIKE here: the planner's guess that few rows match is right for a rare phrase, and
    # keeps it on the index (as strpos, below, a no-match search took 24 ms instead of 0.3).
    holds = Q(description__icontains=q) | Q(address__icontains=q)
    if connection.vendor != "postgresql" or len(q) < 2:
        return holds
    common = _common_pieces()
    if all(common.get(piece, 0) > COMMON for piece in _pieces(q)):
        # As strpos, not LIKE: the planner cannot tell how often a LIKE on the text matches
        # and guesses rarely, so it read a tab's every request to sort the few it expected
        # (the review tab, 86,000 at district scale: 243 ms). Of strpos it guesses a third,
        # and walks the tab in its order until the page is full (3 ms).
        return _contains("description", q) | _contains("address", q)
    # The words searched are a parameter; TEXT is this module's constant.
    pieces = RawSQL(  # noqa: S611
        f"{TEXT} @> tickets_bigrams(upper(%s))", [q], output_field=BooleanField()
    )
    # The text first: a row it rejects is never split into pieces.
    return holds & Q(pieces)
