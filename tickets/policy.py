"""Resident requests: the capabilities, who holds them, and who may act on one ticket.

``tickets.services.RULES`` asks these rules before every transition; pages ask them to
offer only the actions the user may take.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import PartyMember
from grids.cover import covers_today
from grids.models import Area
from grids.policy import register
from grids.roles import LEVEL_DEPTH, Level, Role
from grids.scope import active_posts, can, covered_posts, scope_paths

_COMMUNITY_PATH_LENGTH = LEVEL_DEPTH[Level.COMMUNITY] * Area.steplen


class TicketCapability(models.TextChoices):
    DISPATCH_TICKETS = "dispatch_tickets", _("Accept, assign and supervise resident requests")
    CLAIM_TICKETS = "claim_tickets", _("Claim resident requests from the open pool")
    MANAGE_CALENDAR = "manage_calendar", _("Keep the working-day calendar (holidays and 调休)")
    MANAGE_CATALOGUE = "manage_catalogue", _("Keep the catalogue of matters and departments")
    MANAGE_API_CLIENTS = "manage_api_clients", _("Issue and revoke the API clients' tokens")


register(
    TicketCapability,
    {
        # "社区派单": the community dispatches, the street and the grid leader too; the
        # district's command centre takes in hand what the overdue ladder brings to it.
        TicketCapability.DISPATCH_TICKETS: (
            Role.DISTRICT_STAFF,
            Role.STREET_STAFF,
            Role.COMMUNITY_STAFF,
            Role.GRID_LEADER,
        ),
        # "党员接单": whoever works in the grid takes requests from its open pool.
        TicketCapability.CLAIM_TICKETS: (
            Role.GRID_LEADER,
            Role.GRID_WORKER,
            Role.PART_TIME_WORKER,
            Role.LIAISON,
            Role.VOLUNTEER,
        ),
        # One calendar for the whole district: its working-day deadlines are the tickets'.
        TicketCapability.MANAGE_CALENDAR: (Role.DISTRICT_STAFF,),
        # The catalogue (事项清单) is the district's: one list of matters and deadlines.
        TicketCapability.MANAGE_CATALOGUE: (Role.DISTRICT_STAFF,),
        # Systems that file requests anywhere in the district: its staff let them in.
        TicketCapability.MANAGE_API_CLIENTS: (Role.DISTRICT_STAFF,),
    },
)


def may_manage_calendar(user) -> bool:
    return scope_paths(user, TicketCapability.MANAGE_CALENDAR) != []


def may_manage_catalogue(user) -> bool:
    return scope_paths(user, TicketCapability.MANAGE_CATALOGUE) != []


def may_manage_api_clients(user) -> bool:
    return scope_paths(user, TicketCapability.MANAGE_API_CLIENTS) != []


def may_dispatch(user, ticket) -> bool:
    return user is not None and can(user, TicketCapability.DISPATCH_TICKETS, ticket.area)


def may_accept(user, ticket) -> bool:
    """受理: dispatchers; and a grid's full-time workers where their community lets them
    (``CommunityRules.grid_workers_accept``)."""
    if may_dispatch(user, ticket):
        return True
    return any(ticket.area.path.startswith(path) for path in worker_accept_paths(user))


def worker_accept_paths(user) -> list[str]:
    """The grids where ``user``, a full-time grid worker, accepts new requests because their
    community lets its grid workers do so (one query; none for anyone else)."""
    grids = worker_grids(user)
    if not grids:
        return []
    return accepting_grids(grids, accepting_communities(grids).values_list("path", flat=True))


def worker_grids(user) -> list[str]:
    """The paths of the grids ``user`` works in full-time (their posts, read once a request),
    where their community may let them accept."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    # A grid worker's post covered while they are on leave (AB岗) counts as the colleague's.
    posts = [*active_posts(user), *covered_posts(user)]
    return [post.area.path for post in posts if post.role == Role.GRID_WORKER]


def accepting_communities(grids: list[str]):
    """The communities of ``grids`` that let their grid workers accept (受理)."""
    return Area.objects.filter(
        ticket_rules__grid_workers_accept=True,
        path__in={path[:_COMMUNITY_PATH_LENGTH] for path in grids},
    )


def accepting_grids(grids: list[str], communities) -> list[str]:
    """Those of ``grids`` whose community is among ``communities`` (paths)."""
    allowing = set(communities or ())
    return [path for path in grids if path[:_COMMUNITY_PATH_LENGTH] in allowing]


def may_change_community_rules(user, community) -> bool:
    """The community's own staff (and the levels above) set its rules."""
    return can(user, TicketCapability.DISPATCH_TICKETS, community)


def may_claim(user, ticket) -> bool:
    """接单 from the open pool: workers and members of the area; a micro-wish, anyone who
    helps in its community (see ``may_help_with_wishes``)."""
    if user is None:
        return False
    if can(user, TicketCapability.CLAIM_TICKETS, ticket.area):
        return True
    if ticket.is_wish:
        community = ticket.area.community()
        return community is not None and may_help_with_wishes(user, community)
    return False


def may_help_with_wishes(user, community) -> bool:
    """Who claims a community's micro-wishes from its wall: anyone who takes requests
    (CLAIM_TICKETS) in the community or one of its grids, and its party members who have
    an account (in-service members registered there, 双报到, included)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    paths = scope_paths(user, TicketCapability.CLAIM_TICKETS)
    if paths is None or any(
        path.startswith(community.path) or community.path.startswith(path) for path in paths
    ):
        return True
    return PartyMember.objects.filter(user=user, active=True, community=community).exists()


def is_handler(user, ticket) -> bool:
    if user is None:
        return False
    if ticket.assignee_id:
        # AB岗: the colleague covering an assignee on leave acts as them until they return.
        return ticket.assignee_id == user.pk or covers_today(user, ticket.assignee_id)
    if ticket.unit_id:
        # A co-building unit has no account: the community's staff record its work.
        return may_dispatch(user, ticket)
    return bool(ticket.department_id) and in_department(user, ticket)


def in_department(user, ticket) -> bool:
    """Whether ``user`` is a member of the department holding ``ticket``. The ticket page's
    query reads it for the user asking (``user_in_department``): its rules ask it twice."""
    known = getattr(ticket, "user_in_department", None)
    if known is not None and getattr(ticket, "user_in_department_for", None) == user.pk:
        return known
    return ticket.department.members.filter(pk=user.pk).exists()


def may_acknowledge(user, ticket) -> bool:
    """报到: staff of the level the ticket was escalated to, or its department."""
    if user is None or not ticket.escalation_level or ticket.acknowledged_at:
        return False
    if ticket.department_id:
        return in_department(user, ticket)
    return can(user, TicketCapability.DISPATCH_TICKETS, ticket.area)


# --- Co-handling (吹哨报到 with several departments) -------------------------------------------

STREET_PATH_LENGTH = LEVEL_DEPTH[Level.STREET] * Area.steplen


def _dispatches_from(user, ticket, longest: int) -> bool:
    """Whether ``user`` dispatches for ``ticket``'s area from a level whose path is at most
    ``longest`` long (a community's, a street's…): a grid leader dispatches, from below."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    paths = scope_paths(user, TicketCapability.DISPATCH_TICKETS)
    if paths is None:
        return True
    return any(len(path) <= longest and ticket.area.path.startswith(path) for path in paths)


def may_summon(user, ticket) -> bool:
    """吹哨 to several departments: a street or community officer who dispatches there."""
    return _dispatches_from(user, ticket, _COMMUNITY_PATH_LENGTH)


def may_override_cohandling(user, ticket) -> bool:
    """The street (or the district above it) closes the parts still missing, with a reason."""
    return _dispatches_from(user, ticket, STREET_PATH_LENGTH)


def is_summoned_member(user, summons) -> bool:
    """报到 and the part are the summoned department's members' to do."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return summons.department.members.filter(pk=user.pk).exists()
