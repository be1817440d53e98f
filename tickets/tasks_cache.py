"""My tasks (我的任务) kept per viewer, address asked (the page), language and minute, under
the version of everything its four lists show, read in three small queries before the lists:

- the requests in the viewer's (and covered colleagues') hands: how many, and the sums of
  their ids and of their ``page_version`` (migration 0026: every change a request's row shows
  moves it; one leaving or joining changes the count or the sum of ids);
- the parts the viewer's departments owe: the same over their summoned requests (a summons
  written moves its request's ``page_version``);
- the new requests to accept and the open ones to take, in the communities of the viewer's
  posts and claim scope (wishes live at the community): the board's kept tallies there, whose
  trigger adds a row for every change a board row shows (``tickets.board_cache``).

The key also names where a grid worker accepts (their communities' rules). The minute bounds
what the version does not name (a colleague's leave starting, a matter renamed) and moves the
overdue marks with the clock. Forms are rendered with a CSRF placeholder and signed with the
viewer's token on the way out. Only on the cache every process shares, only on PostgreSQL
(``core.kept_bodies``).
"""

from __future__ import annotations

from django.db.models import Count, Max, Sum

from core import kept_bodies
from grids.scope import active_posts, covered_posts, path_q, scope_paths
from tickets.models import OPEN_STATUSES, BoardTally, Status, Summons, SummonsState, Ticket
from tickets.policy import TicketCapability, worker_accept_paths
from tickets.selectors import COMMUNITY_PATH_LENGTH

# Changed with the page's template, so bodies rendered by the previous one are not shown.
TEMPLATE_VERSION = "1"


def _communities(user) -> list[str] | None:
    """Where the viewer's lists to accept from and to take from lie, as community paths."""
    claim = scope_paths(user, TicketCapability.CLAIM_TICKETS)
    if claim is None:
        return None
    posts = [post.area.path for post in [*active_posts(user), *covered_posts(user)]]
    return sorted({path[:COMMUNITY_PATH_LENGTH] for path in [*claim, *posts]})


def tasks_version(assignees: list[int]) -> tuple:
    """The version of the requests in ``assignees``' hands (one query): how many, and the sums
    of their ids and of their ``page_version``."""
    mine = Ticket.objects.filter(
        assignee__in=assignees, status__in=[Status.ASSIGNED, Status.IN_PROGRESS]
    ).aggregate(n=Count("pk"), ids=Sum("pk"), versions=Sum("page_version"))
    return mine["n"], mine["ids"] or 0, mine["versions"] or 0


def kept() -> bool:
    return kept_bodies.with_triggers()


def key(request, assignees: list[int], departments: list[int]) -> str | None:
    """The body's cache key (reading the versions), or None where bodies are not kept."""
    if not kept():
        return None
    mine = tasks_version(assignees)
    parts = {}
    if departments:
        parts = Summons.objects.filter(
            department_id__in=departments,
            state__in=[SummonsState.SUMMONED, SummonsState.ACKNOWLEDGED],
            ticket__status__in=OPEN_STATUSES,
        ).aggregate(n=Count("pk"), ids=Sum("pk"), versions=Sum("ticket__page_version"))
    communities = _communities(request.user)
    around = BoardTally.objects.filter(path_q(communities, "area__path")).aggregate(
        n=Count("pk"), newest=Max("pk")
    )
    # Where a grid worker accepts, as their communities let them (one query, workers only).
    accepts = worker_accept_paths(request.user)
    asked = kept_bodies.digest(
        assignees, departments, communities, accepts, request.get_full_path()
    )
    versions = "-".join(str(v or 0) for v in [*mine, *parts.values(), *around.values()])
    return kept_bodies.name("tickets:tasks", TEMPLATE_VERSION, request.user.pk, asked, versions)
