"""The household and resident lists' bodies (rows, count, search form, pages), rendered once
per version of what an area's register holds and kept for everyone who asks the same address
(issue 27: a warm list is two small queries, whatever the area's size).

The version is how many ``RegisterMark`` rows the area's grids hold and the newest one's id,
read in one statement before the rows are: PostgreSQL inserts a mark in the transaction of
every change a list shows (migration 0010), and the fold only ever adds marks newer than all
before, so two states of an area's register never share a version. A change committed while
a body renders gives it an older version than the next reader's: it is simply not found again.

The key also holds the address asked (area, search, filters, page), what the viewer may do
there (add a household, export), the language, and the minute: ages move with the date, and
what no mark covers (an area renamed) is at most a minute behind. The breadcrumbs, which
depend on the viewer's posts, are rendered around the body on every request.

Only on the cache every process shares, only on PostgreSQL (``core.kept_bodies``).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, Max, Value

from core import kept_bodies, statements
from grids.models import GRID_PATH_LENGTH, Area, RegisterMark
from grids.scope import path_q

# Changed with the bodies' templates, so bodies rendered by the previous ones are not shown.
TEMPLATE_VERSION = "1"

# Folds never run at once (each would delete rows the other is summing).
_LOCK = 27_0002

# Rows inserted by transactions still running are not seen and stay for the next fold; the
# new row's id is newer than every row before, so a version never comes back.
_FOLD = """
WITH folded AS (
    DELETE FROM grids_registermark
    WHERE (grid_id, listed) IN (
        SELECT grid_id, listed FROM grids_registermark GROUP BY grid_id, listed
        HAVING count(*) > 1
    )
    RETURNING grid_id, listed
)
INSERT INTO grids_registermark (grid_id, listed) SELECT DISTINCT grid_id, listed FROM folded
"""


def kept() -> bool:
    return kept_bodies.with_triggers()


def version(area: Area) -> tuple[int, int]:
    """The version of everything the lists under ``area`` show (one query)."""
    return version_under([area.path], listed=True)


def version_under(paths: list[str] | None, *, listed: bool | None = None) -> tuple[int, int]:
    """The version of the register under ``paths`` (None: everywhere): of what the lists
    show (``listed``), or of everything marked (None: the visits page's, which shows visits
    too)."""
    # Marks are per grid: a micro-grid's lists follow its grid's.
    grids = None if paths is None else sorted({path[:GRID_PATH_LENGTH] for path in paths})
    if grids == []:
        return 0, 0

    def build():
        marks = RegisterMark.objects.filter(path_q(grids, "grid__path"))
        if listed is not None:
            marks = marks.filter(listed=listed)
        # No GROUP BY: one row, also where nothing is marked.
        return (
            marks.order_by()
            .values(one=Value(1))
            .annotate(rows=Count("pk"), newest=Max("pk"))
            .values_list("rows", "newest")
        )

    # Built once per process for these grids (core.statements): the ORM cost more than the
    # database took to answer.
    rows, newest = statements.row(
        ("grids:register-version", None if grids is None else tuple(grids), listed), build
    )
    return rows, newest or 0


def key(request, area: Area, list_name: str, may: tuple[bool, ...]) -> str | None:
    """The body's cache key (reading the area's version), or None where bodies are not kept."""
    if not kept():
        return None
    rows, newest = version(area)
    may_do = "".join("1" if flag else "0" for flag in may)
    asked = kept_bodies.digest(request.get_full_path())
    return kept_bodies.name(
        "grids:list", TEMPLATE_VERSION, list_name, area.pk, asked, may_do, rows, newest
    )


@transaction.atomic
def fold() -> int:
    """Replace each grid's marks of a kind by one newer mark; returns how many were folded."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        cursor.execute(_FOLD)
        return cursor.rowcount
