"""Reads behind the dispatch board, my tasks and duplicate hints (constant queries)."""

from __future__ import annotations

import datetime as dt
import math

from django.db import connection
from django.db.models import Count, Max, Q, Sum, Value
from django.utils import timezone

from core import statements
from grids.models import Area
from grids.roles import LEVEL_DEPTH, Level
from grids.scope import covered_posts, path_q, scope_paths
from tickets.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    TALLIED_TABS,
    WISH_MATTER,
    BoardTally,
    Department,
    Status,
    Summons,
    SummonsState,
    Ticket,
)
from tickets.policy import TicketCapability, worker_accept_paths

COMMUNITY_PATH_LENGTH = LEVEL_DEPTH[Level.COMMUNITY] * Area.steplen


def dispatch_area_ids(user) -> list[int] | None:
    """The areas where ``user`` dispatches, by id (``None``: everywhere)."""
    paths = scope_paths(user, TicketCapability.DISPATCH_TICKETS)
    if paths is None:
        return None
    if not paths:
        return []
    if any(len(path) == Area.steplen for path in paths):
        # The whole territory (the district's staff): no list of its 5,000 areas in every query.
        roots = set(Area.get_root_nodes().values_list("path", flat=True))
        if roots <= set(paths):
            return None
    return list(Area.objects.filter(path_q(paths, "path")).values_list("pk", flat=True))


def dispatchable(user):
    """Tickets in the areas where ``user`` dispatches (派单).

    By the areas' ids rather than a join on their paths: the planner then knows how many
    areas, and so how many requests, a community's or a district's scope holds, and reads a
    community's tab through (status, area) instead of every request of the district in that
    state (issue 27: 90 ms → 6 ms for a community's overdue count at district scale)."""
    ids = dispatch_area_ids(user)
    return Ticket.objects.all() if ids is None else Ticket.objects.filter(area_id__in=ids)


def view_filter(view: str, user, now: dt.datetime | None = None) -> Q:
    now = now or timezone.now()
    overdue = Q(status=Status.SUBMITTED, response_due__lt=now) | Q(
        status__in=ACTIVE_STATUSES, completion_due__lt=now
    )
    return {
        "new": Q(status=Status.SUBMITTED),
        "unassigned": Q(status=Status.ACCEPTED, assignee__isnull=True, department__isnull=True),
        "overdue": overdue,
        "review": Q(status=Status.RESOLVED),
        "escalated": Q(
            escalation_level__gt=0, acknowledged_at__isnull=True, status__in=OPEN_STATUSES
        ),
        "open": Q(status__in=OPEN_STATUSES),
        "all": Q(),
    }.get(view, Q(status=Status.SUBMITTED))


# The overdue tab is counted live (it changes with the clock, no write moves a request into
# it), and only up to here: past it the tab says "99+". At district scale overdue requests
# are one in fifty, scattered: counting to 1,000 reads ~50,000 rows (30 ms on a loaded
# machine), to 99 a tenth of that (issue 27).
OVERDUE_CAP = 99


# The tabs that show a count, in the board's order ("all" shows none).
COUNTED_TABS = ("new", "unassigned", "overdue", "review", "escalated", "open")


class TabCounts(dict):
    """Each board tab's count; ``capped`` names the tabs that hold more than their count."""

    capped: frozenset[str] = frozenset()


def kept_counts(user) -> tuple[dict[str, int] | None, tuple[int, int] | None]:
    """The state-based tabs' counts for ``user``, summed from the kept tallies (``BoardTally``)
    over the areas the user dispatches in, and the version of every board of that scope: how
    many tally rows it holds and the newest one's id, read in the same statement. The trigger
    adds a row in the transaction of every change a board shows, and the fold only ever adds
    rows newer than all before, so two different states of the scope's requests never share a
    version (``tickets.board_cache``). ``(None, None)`` where no tallies are kept (SQLite)."""
    if connection.vendor != "postgresql":
        return None, None
    paths = scope_paths(user, TicketCapability.DISPATCH_TICKETS)
    if paths == []:
        return dict.fromkeys(TALLIED_TABS, 0), (0, 0)

    def build():
        return (
            BoardTally.objects.filter(path_q(paths, "area__path"))
            .order_by()
            .values(one=Value(1))  # no GROUP BY: one row, also where nothing is kept
            .annotate(**{tab: Sum(tab) for tab in TALLIED_TABS}, rows=Count("pk"), newest=Max("pk"))
            .values_list(*TALLIED_TABS, "rows", "newest")
        )

    # Built once per process for these areas and prepared once per connection (core.statements).
    *sums, rows, newest = statements.row(
        ("tickets:board-counts", None if paths is None else tuple(paths)), build
    )
    counts = {tab: int(n or 0) for tab, n in zip(TALLIED_TABS, sums, strict=True)}
    return counts, (rows, newest or 0)


def board_counts(user, base=None, kept: dict[str, int] | None = None) -> TabCounts:
    """How many requests each board tab holds for ``user`` (two small queries, whatever the
    scope): the state-based tabs from the kept tallies (``kept_counts``, or ``kept`` when the
    caller read them), the overdue tab counted up to ``OVERDUE_CAP``. On SQLite, which keeps
    no tallies, the state-based tabs are counted live (small data)."""
    base = dispatchable(user) if base is None else base
    now = timezone.now()
    if kept is None:
        kept, _version = kept_counts(user)
    if kept is None:
        # Every tab holds open or resolved requests only: the filter lets the database skip
        # the years of closed ones.
        kept = base.filter(status__in=[*OPEN_STATUSES, Status.RESOLVED]).aggregate(
            **{tab: Count("pk", filter=view_filter(tab, None, now)) for tab in TALLIED_TABS}
        )
    overdue = base.filter(view_filter("overdue", None, now)).order_by()[: OVERDUE_CAP + 1]
    late = overdue.count()
    counts = TabCounts(
        (tab, min(late, OVERDUE_CAP) if tab == "overdue" else kept[tab]) for tab in COUNTED_TABS
    )
    if late > OVERDUE_CAP:
        counts.capped = frozenset({"overdue"})
    return counts


def task_assignees(user) -> list[int]:
    """The user and the colleagues on leave whom they cover today (AB岗), by id."""
    # The colleagues from the user's posts, read once per request (and kept), which hold the
    # posts they cover today: no query of its own. A subquery under an OR made the database
    # test every open request in the district against it, instead of one index probe per
    # assignee on (assignee, status).
    return [user.pk, *sorted({post.user_id for post in covered_posts(user)})]


def user_departments(user) -> list[int]:
    """The departments the user belongs to, by id (one query)."""
    return list(
        Department.members.through.objects.filter(user_id=user.pk)
        .order_by("department_id")
        .values_list("department_id", flat=True)
    )


def my_tasks(user):
    """The user's open requests, and those of colleagues on leave whom they cover today
    (AB岗): when the leave ends those are the colleague's again, with nothing to hand back."""
    return (
        Ticket.objects.filter(
            assignee__in=task_assignees(user),
            status__in=[Status.ASSIGNED, Status.IN_PROGRESS],
        )
        # The row names the assignee (tickets/_row.html): one query, not one per request.
        .select_related("matter__category", "area", "assignee")
        # Rows name their area: its boundary (a JSON polygon) is not decoded for each.
        .defer("area__boundary")
        .order_by("completion_due", "pk")
    )


def in_order(rows, ids: list[int]) -> list:
    """The rows of ``rows`` whose ids are ``ids``, in that order (a row gone since is left
    out). For a page read as ids first, straight from an index in its order, then its rows
    joined: joined from the start, the planner may sort every match to find the first page
    when its statistics lag behind a mass change (My tasks after a hand-over of 3,853
    requests to one worker: 17 ms of SQL; the ids, then their rows: 0.03 + 2 ms)."""
    found = {row.pk: row for row in rows.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def summoned_parts(user, departments: list[int] | None = None):
    """Co-handling: the parts the user's departments owe (报到, then the part), open requests
    only, soonest due first."""
    # The user's departments first (most people belong to none, and then nothing more is
    # asked): as a subquery, the list joined nine tables and took ~19 ms to plan, for
    # under 1 ms of execution, on every My tasks page (issue 27).
    departments = user_departments(user) if departments is None else departments
    if not departments:
        return Summons.objects.none()
    return (
        Summons.objects.filter(
            department_id__in=departments,
            state__in=[SummonsState.SUMMONED, SummonsState.ACKNOWLEDGED],
            ticket__status__in=OPEN_STATUSES,
        )
        .select_related(
            "ticket__matter__category",
            "ticket__area",
            "ticket__assignee",
            "ticket__department",
            "department",
        )
        .defer("ticket__area__boundary")
        .order_by("acknowledge_due", "pk")
    )


def summonses_of(ticket):
    """The departments summoned on a request, lead first (one query)."""
    return (
        Summons.objects.filter(ticket=ticket)
        .select_related("department")
        .order_by("-role", "summoned_at", "pk")
    )


def to_accept(user):
    """New requests a grid worker accepts (受理) where their community lets them."""
    paths = worker_accept_paths(user)
    return (
        Ticket.objects.filter(path_q(paths, "area__path") if paths else Q(pk__in=[]))
        .filter(status=Status.SUBMITTED)
        .select_related("matter__category", "area")
        .defer("area__boundary")
        .order_by("response_due", "pk")
    )


def open_pool(user):
    """Accepted, unassigned requests the user may claim (接单), and the micro-wishes of the
    communities they take requests in (a wish lives at the community, above their grid)."""
    paths = scope_paths(user, TicketCapability.CLAIM_TICKETS)
    wishes = Q(pk__in=[])
    if paths:
        communities = {path[:COMMUNITY_PATH_LENGTH] for path in paths}
        wishes = Q(area__path__in=communities, matter__code=WISH_MATTER)
    elif paths is None:
        wishes = Q(matter__code=WISH_MATTER)
    return (
        Ticket.objects.filter(
            path_q(paths, "area__path") | wishes,
            status=Status.ACCEPTED,
            assignee__isnull=True,
            department__isnull=True,
            unit__isnull=True,
        )
        .select_related("matter__category", "area")
        .defer("area__boundary")
        .order_by("completion_due", "pk")
    )


# Duplicate hints: open requests of the same matter nearby in space and time.
DUPLICATE_METRES = 300
DUPLICATE_DAYS = 7


def possible_duplicates(ticket: Ticket, limit: int = 5) -> list[Ticket]:
    candidates = Ticket.objects.filter(
        matter__category=ticket.matter.category_id,
        status__in=OPEN_STATUSES,
        submitted_at__gte=ticket.submitted_at - dt.timedelta(days=DUPLICATE_DAYS),
        submitted_at__lte=ticket.submitted_at + dt.timedelta(days=DUPLICATE_DAYS),
        merged_into__isnull=True,
    ).exclude(pk=ticket.pk)
    if ticket.longitude is not None:
        # A box in SQL, then the true distance here.
        dlat = DUPLICATE_METRES / 110_574
        dlng = DUPLICATE_METRES / (111_320 * math.cos(math.radians(ticket.latitude)))
        candidates = candidates.filter(
            longitude__range=(ticket.longitude - dlng, ticket.longitude + dlng),
            latitude__range=(ticket.latitude - dlat, ticket.latitude + dlat),
        )
        found = [
            t
            for t in candidates.select_related("matter")[: limit * 4]
            if metres(ticket, t) <= DUPLICATE_METRES
        ]
        return found[:limit]
    return list(candidates.filter(area=ticket.area).select_related("matter")[:limit])


def metres(a: Ticket, b: Ticket) -> float:
    lat = math.radians((a.latitude + b.latitude) / 2)
    dx = (a.longitude - b.longitude) * 111_320 * math.cos(lat)
    dy = (a.latitude - b.latitude) * 110_574
    return math.hypot(dx, dy)


def open_for_household(user, household):
    """The household's open requests the user may see (a panel of the household's page)."""
    return (
        Ticket.objects.visible_to(user)
        .open()
        .filter(household=household)
        .select_related("matter")
        .order_by("-submitted_at")[:10]
    )
