"""My tasks (我的任务) kept per viewer, address asked (the page), language and minute, under
the version of everything its four lists show, read in one query before the lists
(``key_and_departments``; its SQL is built once per viewer and scope, ``core.statements``):

- the requests in the viewer's (and covered colleagues') hands: how many, and the sums of
  their ids and of their ``page_version`` (migration 0026: every change a request's row shows
  moves it; one leaving or joining changes the count or the sum of ids);
- the parts the viewer's departments owe: the same over their summoned requests (a summons
  written moves its request's ``page_version``; the departments are read in the same query,
  so one joined shows its parts at once);
- the new requests to accept and the open ones to take, in the communities of the viewer's
  posts and claim scope (wishes live at the community): the board's kept tallies there, whose
  trigger adds a row for every change a board row shows (``tickets.board_cache``).

The key also names where a grid worker accepts (their communities' rules, read in the same
query). The minute bounds what the version does not name (a colleague's leave starting, a
matter renamed) and moves the overdue marks with the clock. Forms are rendered with a CSRF
placeholder and signed with the viewer's token on the way out. Only on the cache every
process shares, only on PostgreSQL (``core.kept_bodies``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Func,
    Max,
    OuterRef,
    Subquery,
    Sum,
    Value,
)

from core import kept_bodies, statements
from grids.scope import active_posts, covered_posts, path_q, scope_paths
from tickets.models import (
    OPEN_STATUSES,
    BoardTally,
    Department,
    Status,
    Summons,
    SummonsState,
    Ticket,
)
from tickets.policy import TicketCapability, accepting_communities, accepting_grids, worker_grids
from tickets.selectors import COMMUNITY_PATH_LENGTH, user_departments

# Changed with the page's template, so bodies rendered by the previous one are not shown.
TEMPLATE_VERSION = "2"
_TASK_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)


def _communities(user) -> list[str] | None:
    """Where the viewer's lists to accept from and to take from lie, as community paths."""
    claim = scope_paths(user, TicketCapability.CLAIM_TICKETS)
    if claim is None:
        return None
    posts = [post.area.path for post in [*active_posts(user), *covered_posts(user)]]
    return sorted({path[:COMMUNITY_PATH_LENGTH] for path in [*claim, *posts]})


def _tasks(assignees: list[int]):
    return Ticket.objects.filter(assignee__in=assignees, status__in=_TASK_STATUSES)


def tasks_version(assignees: list[int]) -> tuple:
    """The version of the requests in ``assignees``' hands (one query): how many, and the sums
    of their ids and of their ``page_version``."""
    n, ids, versions = statements.row(
        ("tickets:tasks-version", tuple(assignees)),
        lambda: (
            _tasks(assignees)
            .order_by()
            .values(one=Value(1))
            .annotate(n=Count("pk"), ids=Sum("pk"), versions=Sum("page_version"))
            .values_list("n", "ids", "versions")
        ),
    )
    return n, int(ids or 0), int(versions or 0)  # SUM of bigint is numeric


def _one_row(queryset, *aggregates):
    """``queryset``'s ``aggregates`` as one array column of one row (a scalar subquery)."""
    return Subquery(
        queryset.order_by()
        .values(one=Value(1))  # no GROUP BY: one row, also when nothing matches
        .annotate(
            row=Func(
                *aggregates,
                template="ARRAY[%(expressions)s]::bigint[]",
                output_field=ArrayField(BigIntegerField()),
            )
        )
        .values("row")
    )


def _versions_query(user_pk: int, assignees, communities, grids):
    """One row: the viewer's departments, then the versions of what each list shows, then the
    communities that let the viewer accept. ``Department.members`` is read inside the query,
    so a department joined or left moves the parts' version at once."""
    departments = Department.members.through.objects.filter(user_id=OuterRef("pk"))
    parts = Summons.objects.filter(
        department_id__in=Department.members.through.objects.filter(
            user_id=OuterRef(OuterRef("pk"))
        ).values("department_id"),
        state__in=[SummonsState.SUMMONED, SummonsState.ACKNOWLEDGED],
        ticket__status__in=OPEN_STATUSES,
    )
    around = BoardTally.objects.filter(path_q(communities, "area__path"))
    accepting = accepting_communities(grids) if grids else None
    return (
        get_user_model()
        .objects.filter(pk=user_pk)
        .annotate(
            v_departments=Subquery(
                departments.order_by()
                .values(one=Value(1))
                .annotate(ids=ArrayAgg("department_id", order_by="department_id"))
                .values("ids")
            ),
            v_mine=_one_row(_tasks(assignees), Count("pk"), Sum("pk"), Sum("page_version")),
            v_parts=_one_row(parts, Count("pk"), Sum("pk"), Sum("ticket__page_version")),
            v_around=(
                _one_row(around, Count("pk"), Max("pk"))
                if communities != []
                else Value([0, 0], output_field=ArrayField(BigIntegerField()))
            ),
            v_accepting=(
                Subquery(
                    accepting.order_by()
                    .values(one=Value(1))
                    .annotate(paths=ArrayAgg("path"))
                    .values("paths")
                )
                if accepting is not None
                else Value(None, output_field=ArrayField(CharField()))
            ),
        )
        .values_list("v_departments", "v_mine", "v_parts", "v_around", "v_accepting")
    )


def kept() -> bool:
    return kept_bodies.with_triggers()


def key_and_departments(request, assignees: list[int]) -> tuple[str | None, list[int]]:
    """The body's cache key (reading the versions) and the viewer's departments, in one query
    whose SQL is built once per viewer and scope (``core.statements``); where bodies are not
    kept, no key and the departments alone."""
    user = request.user
    if not kept():
        return None, user_departments(user)
    communities = _communities(user)
    grids = worker_grids(user)
    departments, mine, parts, around, accepting = statements.row(
        (
            "tickets:tasks-versions",
            user.pk,
            tuple(assignees),
            None if communities is None else tuple(communities),
            tuple(grids),
        ),
        lambda: _versions_query(user.pk, assignees, communities, grids),
    )
    departments = departments or []
    # Where a grid worker accepts, as their communities let them.
    accepts = accepting_grids(grids, accepting)
    asked = kept_bodies.digest(
        assignees, departments, communities, accepts, request.get_full_path()
    )
    versions = "-".join(str(v or 0) for v in [*mine, *parts, *around])
    key = kept_bodies.name("tickets:tasks", TEMPLATE_VERSION, user.pk, asked, versions)
    return key, departments
