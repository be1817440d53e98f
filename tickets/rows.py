"""The dispatch board's rows, each rendered once per version of its request and kept in the
cache: the board reads a slim page of (id, version, deadlines) and renders only what changed.

A row's key holds everything its HTML shows that can change without a new version of the
request: whether it is overdue now, whether it carries the bulk-assignment checkbox, and the
language. Names around it (the assignee's, the grid's) are renamed rarely; the row is kept
for ROW_SECONDS at most.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from tickets.models import Ticket, is_overdue

ROW_SECONDS = 600
# What the board reads of each request on the page: enough to know whether its row changed.
SLIM = (
    "pk",
    "short_code",
    "version",
    "updated_at",
    "status",
    "response_due",
    "completion_due",
    # Where it is: the to-accept tab offers each row the people of its grid. The id, not the
    # area's path: a join here lets a misjudged search (Chinese text under LIKE) choose a
    # nested loop over every area (issue 27: 2.4 s at district scale).
    "area_id",
)
# Changed when the row's template changes, so rows cached by the previous one are not shown.
TEMPLATE_VERSION = "2"


def _key(row, *, selectable: bool, now: dt.datetime, language: str) -> str:
    late = is_overdue(row.status, row.response_due, row.completion_due, now)
    return ":".join(
        [
            "tickets:row",
            TEMPLATE_VERSION,
            str(row.pk),
            row.short_code,
            str(row.version),
            row.updated_at.isoformat(),
            "late" if late else "due",
            "pick" if selectable else "",
            language,
        ]
    )


def render(slim_rows, *, selectable: bool, now: dt.datetime) -> list[tuple[object, SafeString]]:
    """Each slim row with its HTML, in order: one cache read for the page, and one query (plus
    who handles them) for the rows rendered afresh. A request gone since the slim read is left
    out."""
    language = get_language() or ""
    keys = [_key(row, selectable=selectable, now=now, language=language) for row in slim_rows]
    found = cache.get_many(keys)
    missing = {row.pk: key for row, key in zip(slim_rows, keys, strict=True) if key not in found}
    if missing:
        tickets = (
            Ticket.objects.filter(pk__in=missing)
            .select_related("matter", "area")
            .defer("area__boundary")  # a row names its area; the polygon is not decoded
            .prefetch_related("assignee", "department", "unit")
        )
        template = get_template("tickets/_board_row.html")
        fresh = {
            missing[t.pk]: template.render({"t": t, "selectable": selectable}) for t in tickets
        }
        cache.set_many(fresh, ROW_SECONDS)
        found.update(fresh)
    # Rendered by our own template, escaped there.
    return [
        (row, mark_safe(found[key]))
        for row, key in zip(slim_rows, keys, strict=True)
        if key in found
    ]
