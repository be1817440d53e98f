"""The visits page (走访), but for its panels of the worker's requests, kept per worker, posts,
address asked (tab, micro-grid, search, page), language and minute, under the version of
everything it shows under the worker's posts: the register marks of their grids, visits and
places included (``grids.list_cache.version_under``; places are marked by visits' migration
0004). A logged visit moves the household's ``last_visited_at`` and ``visit_due_on``, whose
marks the household lists skip and this page counts. The panels (other apps' rows, such as the
requests in the worker's hands) are kept with it when each says its own version
(``core.navigation.Panel.version``: the requests' by their ``page_version``), else render
around the kept parts on every request.

Only on the cache every process shares, only on PostgreSQL (``core.kept_bodies``).
"""

from __future__ import annotations

from core import kept_bodies
from grids import list_cache
from grids.scope import scope_paths
from visits.policy import VisitCapability

# Changed with the page's templates, so parts rendered by the previous ones are not shown.
TEMPLATE_VERSION = "1"


def key(request, panels: list) -> str | None:
    """The kept parts' cache key (reading the versions), or None where they are not kept;
    ``panels``: those kept with the page, each saying its version."""
    if not list_cache.kept():
        return None
    paths = scope_paths(request.user, VisitCapability.LOG_VISITS)
    rows, newest = list_cache.version_under(paths)
    scope = "*" if paths is None else ",".join(sorted(paths))
    shown = [panel.version(request.user) for panel in panels]
    asked = kept_bodies.digest(scope, request.get_full_path(), shown)
    return kept_bodies.name("visits:page", TEMPLATE_VERSION, request.user.pk, asked, rows, newest)
