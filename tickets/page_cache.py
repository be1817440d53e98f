"""A request's page (its record, its timeline, what the viewer may do), rendered once per
version of what it shows and kept for the same viewer (issue 27: a warm page costs one small
query).

What is kept, per request code, viewer, minute and language (``core.kept_bodies``), is the
page with the request's id and the ``page_version`` it was rendered at. The database moves
that version on every change the page shows: the request's row, its events, photos,
summonses and joint actions (migration tickets 0026). A kept page is shown only if the
request is still at that version *and* still the viewer's to see, both asked in one query
(``current``): a request moved out of the viewer's areas is a 404, a changed one is rendered
afresh. So a page is never older than its version, and nothing is read before the cache:
the first view of a page costs what it cost before any was kept.

The version is read with the request, before the page is rendered from it: a change made
while it renders leaves it kept under the older version, which the next view finds moved.

What the viewer may do, the people and departments they may pick and their own summonses
are theirs, hence a page per viewer. What the version does not cover (a colleague's leave,
a department's load in a picker, a renamed matter) is at most the minute behind; a button
a change of the viewer's own posts took away meanwhile is refused by the action, as on any
page left open.

PostgreSQL only (the triggers), on the shared cache only.
"""

from __future__ import annotations

from core import kept_bodies, statements
from grids.policy import TerritoryCapability
from grids.scope import scope_paths
from tickets.models import Ticket

# Changed with the body's template, so bodies rendered by the previous one are not shown.
TEMPLATE_VERSION = "1"


def key(request, code: str) -> str | None:
    if not kept_bodies.with_triggers():
        return None
    return kept_bodies.name("tickets:page", TEMPLATE_VERSION, code.upper(), request.user.pk)


# Stand-ins for the request's id and version while compiling: no row has either.
_PK, _VERSION = -270_001, -270_002


def _check(user, pk: int, version: int | None) -> bool:
    """``Ticket.objects.visible_to(user).filter(pk=pk[, page_version=version]).exists()``,
    its SQL built once per viewer and areas and prepared on each connection
    (``core.statements``). Building it was ~2.6 ms of Python, planning it 0.85 ms, running it
    0.03 ms. What it depends on besides the two values is the viewer (their id, in the SQL)
    and their areas (``scope_paths``, read from their kept posts on every call and part of the
    key): department membership and summonses are subqueries the database answers each time."""
    paths = scope_paths(user, TerritoryCapability.VIEW_TERRITORY)
    at_version = version is not None

    def build():
        rows = Ticket.objects.visible_to(user).filter(pk=_PK)
        if at_version:
            rows = rows.filter(page_version=_VERSION)
        return rows.query.exists()

    model, sql, params = statements.compiled(
        ("tickets:visible", user.pk, None if paths is None else tuple(paths), at_version), build
    )
    values = {_PK: pk, _VERSION: version}
    params = [values.get(p, p) if isinstance(p, int) else p for p in params]
    return statements.first_row(model, sql, params) is not None


def current(user, page: dict) -> bool:
    """Whether ``page`` (as kept) still shows its request as it is, to a viewer who may see
    it: ``Ticket.objects.visible_to`` asked for the request at the kept version."""
    return _check(user, page["pk"], page["version"])


def visible(user, pk: int) -> bool:
    """Whether the request ``pk`` is the viewer's to see (``Ticket.objects.visible_to``), by
    the same compiled and prepared statement: what every action on a request asks first."""
    return _check(user, pk, None)
