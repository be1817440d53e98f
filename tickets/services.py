"""The one place a resident request changes: intake, routing and every transition.

Each transition locks the ticket row, checks the state, the actor's right and (when the
form carried one) the version the actor saw, recomputes deadlines, and writes a timeline
event, all in one transaction: two secretaries assigning at once cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import Point

from core.concurrency import save_if_unchanged
from core.images import checked_photos
from core.images import clean_photos as core_clean_photos
from core.models import CalendarDay
from core.queue import enqueue_on_commit
from grids.cover import covers_today
from grids.models import GRID_PATH_LENGTH, Area, Household, Post, ancestor_paths
from grids.policy import TerritoryCapability, roles_holding
from grids.roles import Level
from grids.scope import can
from notifications.models import NoticeKind
from notifications.notify import notify
from points import services as points_services
from tickets import callbacks
from tickets.deadlines import due
from tickets.models import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    OPEN_STATUSES,
    WISH_MATTER,
    ApiClient,
    Category,
    Channel,
    CommunityRules,
    Department,
    Event,
    Matter,
    OwnerLevel,
    Photo,
    Status,
    Summons,
    SummonsRole,
    SummonsState,
    Ticket,
)
from tickets.photos import process_photo
from tickets.policy import (
    TicketCapability,
    is_handler,
    is_summoned_member,
    may_accept,
    may_acknowledge,
    may_change_community_rules,
    may_claim,
    may_dispatch,
    may_manage_calendar,
    may_manage_catalogue,
    may_override_cohandling,
    may_summon,
)
from tickets.routing import property_department
from tickets.timeline import AUTO_CLOSE_DAYS, schedule, schedule_summons
from visits.services import FollowUpMade

A = Event.Action
MAX_PHOTOS = 3


class StaleTicket(Exception):
    """The ticket changed since the actor loaded it; nothing was done."""

    message = gettext_lazy(
        "Someone else has just acted on this request; nothing was changed. "
        "Reload it to see what happened."
    )


class TicketBusy(StaleTicket):
    """Another transaction (the deadline sweep, a colleague's save) held the ticket longer
    than a person should wait; nothing was done. A kind of StaleTicket: every page that
    already answers "someone else acted" answers this too, with its own words."""

    message = gettext_lazy(
        "This request is being updated right now; nothing was changed. Try again in a moment."
    )


# How long a person's action waits for a ticket another transaction holds before being told
# to try again (PostgreSQL's lock_timeout; SQLite serialises writers and has its own timeout).
USER_LOCK_TIMEOUT_MS = 2000
LOCK_NOT_AVAILABLE = "55P03"


def _bound_lock_waits() -> None:
    """Make every lock wait in the current transaction give up after USER_LOCK_TIMEOUT_MS.

    SET LOCAL (set_config(..., true)) ends with the transaction, or with the savepoint of a
    transition that fails, so the sweep's own transactions keep waiting as they always did.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)", [f"{int(USER_LOCK_TIMEOUT_MS)}ms"]
            )


def _transition(func):
    """``transaction.atomic`` for a transition, with a lock wait that timed out turned into
    TicketBusy once the transaction has rolled back (never a 500)."""
    atomic = transaction.atomic(func)

    @functools.wraps(func)
    def run(*args, **kwargs):
        try:
            return atomic(*args, **kwargs)
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise TicketBusy() from error
            raise

    return run


# --- Routing ----------------------------------------------------------------------------------


def grid_at(longitude: float, latitude: float, within: Area | None = None) -> Area | None:
    """The grid whose boundary holds the point (bounding boxes first, in SQL)."""
    candidates = Area.objects.grids().filter(
        bbox_west__lte=longitude,
        bbox_east__gte=longitude,
        bbox_south__lte=latitude,
        bbox_north__gte=latitude,
    )
    if within is not None:
        candidates = candidates.filter(path__startswith=within.path)
    point = Point(longitude, latitude)
    for grid in candidates:
        if grid.geometry is not None and grid.geometry.covers(point):
            return grid
    return None


def outside_district(longitude: float, latitude: float) -> Area | None:
    """The district when the point lies outside it, else None.

    One rule for every channel (QR form, API, staff entry), with or without a grid given:
    a point outside the district is a mistake (a phone's 0,0, say), never stored. A
    district without a boundary yet accepts any point.
    """
    roots = [root for root in Area.objects.get_root_nodes() if root.geometry is not None]
    point = Point(longitude, latitude)
    if not roots or any(root.geometry.covers(point) for root in roots):
        return None
    return roots[0]


def route(
    *,
    grid: Area | None = None,
    household: Household | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
    community: Area | None = None,
) -> Area:
    """Where a new ticket lives: QR grid, household grid, the grid at the point, else the
    community's triage queue."""
    if grid is not None:
        return grid
    if household is not None:
        return household.grid
    if longitude is not None and latitude is not None:
        found = grid_at(longitude, latitude, within=community)
        if found is not None:
            return found
    if community is not None:
        return community
    raise ValidationError(_("Say where the problem is: choose a grid or give a location."))


def _community_of(area: Area) -> Area | None:
    return area.community()


def _when(at: dt.datetime | None, ticket: Ticket | None = None) -> dt.datetime:
    """The moment a transition happens: now, or ``at`` when history is being written (the
    demo's year of requests), which may lie in the past but neither in the future nor
    before what the ticket's timeline already holds (a programming error, not a user's)."""
    now = timezone.now()
    if at is None:
        return now
    if at > now:
        raise ValueError(f"a transition cannot happen in the future ({at.isoformat()})")
    if ticket is not None:
        last = ticket.events.order_by("-at").values_list("at", flat=True).first()
        if last is not None and at < last:
            raise ValueError(f"{at.isoformat()} is before the ticket's last event ({last})")
    return at


def _event(
    ticket: Ticket,
    action: str,
    by,
    from_status: str,
    note: str = "",
    public: bool = True,
    *,
    at: dt.datetime,
) -> Event:
    event = Event.objects.create(
        ticket=ticket,
        at=at,
        action=action,
        actor=by,
        on_behalf_of_id=getattr(ticket, "acting_for_id", None),
        from_status=from_status,
        to_status=ticket.status,
        note=note,
        public=public,
    )
    callbacks.status_changed(event)  # a connected system's callback, sent on commit
    return event


def clean_photos(photos: Iterable) -> list:
    return core_clean_photos(photos, max_count=MAX_PHOTOS)


def _attach(
    ticket: Ticket, event: Event | None, cleaned: list, kind: str, *, processed: bool = True
) -> None:
    for image in cleaned:
        photo = Photo.objects.create(
            ticket=ticket, event=event, kind=kind, image=image, processed=processed
        )
        if not processed:
            # Re-encoded by a task once this commits; a broker that is down leaves it to the
            # periodic sweep (tickets.photos.process_waiting).
            enqueue_on_commit(process_photo, photo.pk)


# --- Intake -----------------------------------------------------------------------------------


def _owning_department(matter: Matter, area: Area, household: Household | None):
    """The department a new request goes to: the matter's own, or for a matter of the
    estate's property company the company serving the place (None: it stays with the grid)."""
    if matter.owner_level == OwnerLevel.DEPARTMENT:
        return matter.department
    if matter.owner_level == OwnerLevel.PROPERTY:
        return property_department(area=area, household=household)
    return None


# A new request's foreign keys, which ``submit`` is given as rows already read.
_RELATIONS = [field.name for field in Ticket._meta.concrete_fields if field.is_relation]
# What a transition neither looks up nor checks again: the related rows it was given or read
# with the lock, and the codes set once when the request was made.
_UNCHANGING = [*_RELATIONS, "short_code", "tracking_token"]


@transaction.atomic
def submit(
    *,
    channel: str,
    matter: Matter,
    description: str,
    reporter_phone: str = "",
    reporter_name: str = "",
    address: str = "",
    longitude: float | None = None,
    latitude: float | None = None,
    grid: Area | None = None,
    community: Area | None = None,
    household: Household | None = None,
    photos: Iterable[File] = (),
    by=None,
    api_client: ApiClient | None = None,
    idempotency_key: str = "",
    idempotency_fingerprint: str = "",
    decision=None,
    visit=None,
    at: dt.datetime | None = None,
    photos_later: bool = False,
) -> Ticket:
    """A new request from any channel; the same validation and routing for all of them.

    ``photos_later`` (the public form, which must answer fast): the photos are checked here
    as safety needs and kept as they came, and a task re-encodes them after the commit.

    A request a system (``api_client``) sends again with the same ``idempotency_key`` is not
    created twice: the first one is returned, marked ``replayed = True``.
    """
    if api_client is not None and idempotency_key:
        first = Ticket.objects.filter(
            api_client=api_client, idempotency_key=idempotency_key
        ).first()
        if first is not None:
            first.replayed = True
            return first
    if not matter.active:
        raise ValidationError({"matter": _("This kind of matter is no longer taken.")})
    if channel in (Channel.QR, Channel.WISH) and not reporter_phone:
        raise ValidationError({"reporter_phone": _("Give a mobile number so we can reach you.")})
    if channel == Channel.WISH and matter.code != WISH_MATTER:
        raise ValidationError({"matter": _("A micro-wish is filed as a micro-wish.")})
    if longitude is not None and latitude is not None:
        district = outside_district(longitude, latitude)
        if district is not None:
            raise ValidationError(
                {"grid": _("This point is outside %(area)s.") % {"area": district.name}}
            )
    area = route(
        grid=grid, household=household, longitude=longitude, latitude=latitude, community=community
    )
    if by is not None and not can(by, TerritoryCapability.VIEW_TERRITORY, area):
        raise PermissionDenied(_("You can only report in the areas you work in."))
    if api_client is not None and not area.path.startswith(api_client.area.path):
        raise ValidationError(
            {
                "grid": _("This system may not report outside %(area)s.")
                % {"area": api_client.area.name}
            }
        )
    cleaned = checked_photos(photos, max_count=MAX_PHOTOS) if photos_later else clean_photos(photos)
    now = _when(at)
    ticket = Ticket(
        channel=channel,
        matter=matter,
        description=description.strip(),
        address=address,
        longitude=longitude,
        latitude=latitude,
        household=household,
        area=area,
        department=_owning_department(matter, area, household),
        reporter_phone=reporter_phone,
        reporter_name=reporter_name,
        reported_by=by,
        submitted_at=now,
        response_due=due(now, matter.response_limit, matter.response_unit),
        api_client=api_client,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=idempotency_fingerprint,
        decision=decision,
        visit=visit,
    )
    schedule(ticket)
    # The idempotency constraint is left to the database: a retry racing the first request
    # must meet the IntegrityError below and be answered with it, not be refused here. The
    # related rows were read to get here: not looked up again one by one.
    ticket.full_clean(exclude=_RELATIONS, validate_constraints=False)
    if api_client is None or not idempotency_key:
        ticket.save()
    else:
        try:
            with transaction.atomic():
                ticket.save()
        except IntegrityError:
            # The same request sent twice at once: answer with the first one.
            first = Ticket.objects.get(api_client=api_client, idempotency_key=idempotency_key)
            first.replayed = True
            return first
    event = _event(ticket, A.SUBMIT, by, "", at=now)
    _attach(ticket, event, cleaned, Photo.Kind.REPORT, processed=not photos_later)
    _announce(ticket, A.SUBMIT, by, now=now, history=at is not None)
    return ticket


# --- Who may do what (the rules live in tickets.policy) ---------------------------------------


@dataclass(frozen=True)
class Rule:
    from_statuses: tuple[str, ...]
    allowed: object  # callable(user, ticket) -> bool


RULES: dict[str, Rule] = {
    A.ACCEPT: Rule((Status.SUBMITTED,), may_accept),
    A.REJECT: Rule((Status.SUBMITTED, Status.ACCEPTED), may_dispatch),
    A.MERGE: Rule((Status.SUBMITTED, Status.ACCEPTED), may_dispatch),
    A.ASSIGN: Rule((Status.ACCEPTED, Status.ASSIGNED), may_dispatch),
    A.CLAIM: Rule((Status.ACCEPTED,), may_claim),
    A.START: Rule((Status.ASSIGNED,), is_handler),
    A.RETURN: Rule((Status.ASSIGNED, Status.IN_PROGRESS), is_handler),
    A.RESOLVE: Rule((Status.ASSIGNED, Status.IN_PROGRESS), is_handler),
    A.SUSPEND: Rule((Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS), may_dispatch),
    A.RESUME: Rule((Status.SUSPENDED,), may_dispatch),
    A.ESCALATE: Rule(
        (Status.SUBMITTED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS),
        lambda user, t: user is None or may_dispatch(user, t) or is_handler(user, t),
    ),
    A.ACKNOWLEDGE: Rule(
        (Status.SUBMITTED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS),
        lambda user, t: may_acknowledge(user, t),
    ),
}


def allowed_actions(user, ticket: Ticket) -> list[str]:
    """What ``user`` may do to ``ticket`` now; the page shows these and nothing else."""
    return [
        action
        for action, rule in RULES.items()
        if ticket.status in rule.from_statuses and rule.allowed(user, ticket)
    ]


def _lock_row(pk: int, *, select_related: tuple[str, ...]) -> Ticket:
    """Lock the ticket row alone, then read it with what it joins.

    A locking query with joins is re-checked by PostgreSQL after a lock wait against the
    joined rows it read before waiting: a ticket the sweep moved to another area meanwhile
    no longer matches its old area row and the query finds nothing. The second query runs
    after the lock is ours, so it sees the row (and its area) as they now are.
    """
    Ticket.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).get()
    return Ticket.objects.select_related(*select_related).get(pk=pk)


def _lock_for(ticket: Ticket, rule: Rule, by, expected_version: int | None, refused) -> Ticket:
    """Lock the request and check it may take ``rule`` by ``by`` now; ``refused(locked)`` is
    the message when its status does not allow it."""
    if by is not None:  # a person is waiting; the sweep (by=None) holds its rows already
        _bound_lock_waits()
    locked = _lock_row(
        ticket.pk, select_related=("area", "matter", "department", "assignee", "unit")
    )
    if expected_version is not None and locked.version != expected_version:
        raise StaleTicket()
    if locked.status not in rule.from_statuses:
        raise ValidationError(refused(locked))
    if by is not None and not rule.allowed(by, locked):
        raise PermissionDenied(_("You may not do this to this request."))
    return locked


# What a handler does: done by the colleague covering them on leave, it is done for them.
_HANDLER_ACTIONS = (A.START, A.RETURN, A.RESOLVE, A.ESCALATE)


def _lock(ticket: Ticket, action: str, by, expected_version: int | None) -> Ticket:
    locked = _lock_for(
        ticket,
        RULES[action],
        by,
        expected_version,
        lambda locked: (
            _("This request is %(status)s: “%(action)s” is not possible now.")
            % {"status": locked.get_status_display(), "action": A(action).label}
        ),
    )
    if action in _HANDLER_ACTIONS and covers_today(by, locked.assignee_id):
        locked.acting_for_id = locked.assignee_id  # the timeline says "for A" (AB岗)
    return locked


def _save(
    ticket: Ticket,
    action: str,
    by,
    before: str,
    note: str = "",
    public: bool = True,
    *,
    at: dt.datetime,
) -> Event:
    ticket.version += 1
    schedule(ticket)
    # Its related rows were read with the lock, and its codes never change: neither is
    # looked up again (five queries of every transition).
    # No rating yet (every transition but the review's): its check constraint holds, and
    # Django would ask the database to evaluate it (three round trips in a savepoint).
    ticket.full_clean(exclude=[*_UNCHANGING, *(["rating"] if ticket.rating is None else [])])
    ticket.save()
    return _event(ticket, action, by, before, note, public, at=at)


def completion_due(ticket: Ticket, start: dt.datetime) -> dt.datetime:
    """The completion deadline counted from ``start``; a new deadline version (the demo's
    history written on paper sets it the same way)."""
    ticket.deadline_version += 1
    return due(start, ticket.matter.completion_limit, ticket.matter.completion_unit)


# --- Who is told of a transition ---------------------------------------------------------------


def dispatchers_by_path(paths) -> dict[str, list]:
    """The people holding DISPATCH_TICKETS at each of ``paths``, in one query."""
    by_path: dict[str, list] = {}
    for post in (
        Post.objects.active()
        .filter(area__path__in=paths, role__in=roles_holding(TicketCapability.DISPATCH_TICKETS))
        .select_related("user", "area")
    ):
        by_path.setdefault(post.area.path, []).append(post.user)
    return by_path


def nearest_dispatchers(by_path: dict[str, list], area: Area) -> list:
    """Of ``by_path``, the nearest level that dispatches for ``area``: its own, else above."""
    for path in reversed(ancestor_paths(area.path)):
        if by_path.get(path):
            return by_path[path]
    return []


def dispatchers_of(area: Area) -> list:
    """Who dispatches requests of ``area``, as the deadline sweep's notices go."""
    return nearest_dispatchers(dispatchers_by_path(ancestor_paths(area.path)), area)


def _announce(
    ticket: Ticket,
    action: str,
    by,
    *,
    now: dt.datetime,
    previous_assignee=None,
    params: dict | None = None,
    history: bool = False,
) -> None:
    """The one place a transition tells people what happened (beyond ASSIGNED, which
    ``assign`` sends with its deadline): dispatchers hear of new, returned and reopened
    requests; the last handler of a reopened one; a worker whose task went to someone else.

    Never the person who acted; one notification per person and transition (the version
    is in the key); written in the transition's transaction, delivered after commit.
    History written after the fact (``at``: the demo's year of requests) rings no bell.
    """
    if history:
        return
    messages = []
    base = {"code": ticket.short_code, **(params or {})}
    if action in (A.SUBMIT, A.RETURN, A.REOPEN):
        kind = {
            A.SUBMIT: NoticeKind.NEW_REQUEST,
            A.RETURN: NoticeKind.RETURNED,
            A.REOPEN: NoticeKind.REOPENED,
        }[action]
        people = list(dispatchers_of(ticket.area))
        if action == A.REOPEN and previous_assignee is not None:
            people.insert(0, previous_assignee)
        # The resident's words stay in the app: not in a group chat.
        messages.append((kind, people, action != A.REOPEN))
    if (
        previous_assignee is not None
        and action in (A.ASSIGN, A.ESCALATE)
        and previous_assignee.pk != ticket.assignee_id
    ):
        messages.append((NoticeKind.TAKEN_AWAY, [previous_assignee], False))
    by_pk = getattr(by, "pk", None)
    for kind, people, robots in messages:
        seen: dict[int, object] = {}
        for person in people:
            if person is not None and person.pk != by_pk:
                seen.setdefault(person.pk, person)
        if not seen and not robots:
            continue
        notify(
            kind=kind,
            recipients=list(seen.values()),
            subject=ticket,
            deadline_version=ticket.deadline_version,
            params=base,
            robots=robots,
            extra_key=f"v{ticket.version}",
            now=now,
            actor=by,
        )


# --- Transitions --------------------------------------------------------------------------------


@_transition
def accept(
    *,
    by,
    ticket: Ticket,
    expected_version: int | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Ticket:
    ticket = _lock(ticket, A.ACCEPT, by, expected_version)
    before, now = ticket.status, _when(at, ticket)
    ticket.status, ticket.accepted_at = Status.ACCEPTED, now
    ticket.completion_due = completion_due(ticket, now)
    _save(ticket, A.ACCEPT, by, before, note, at=now)
    return ticket


@_transition
def reject(
    *,
    by,
    ticket: Ticket,
    reason: str,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    if not reason.strip():
        raise ValidationError({"reason": _("Tell the resident why this is not taken.")})
    ticket = _lock(ticket, A.REJECT, by, expected_version)
    before = ticket.status
    ticket.status, ticket.closed_at = Status.REJECTED, _when(at, ticket)
    ticket.public_reason = reason.strip()
    _save(ticket, A.REJECT, by, before, reason.strip(), at=ticket.closed_at)
    return ticket


@_transition
def assign(
    *,
    by,
    ticket: Ticket,
    assignee=None,
    department: Department | None = None,
    unit=None,
    expected_version: int | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Ticket:
    """派单 to a person (worker, member, volunteer) or to a department; or, for a
    micro-wish, record that a co-building unit (共建单位) of the community took it."""
    if [assignee, department, unit].count(None) != 2:
        raise ValidationError(_("Assign to one person or to one department."))
    ticket = _lock(ticket, A.ASSIGN, by, expected_version)
    now = _when(at, ticket)
    if unit is not None:
        if not ticket.is_wish:
            raise ValidationError(
                {"unit": _("Co-building units take micro-wishes, not other requests.")}
            )
        community = _community_of(ticket.area)
        if community is None or unit.community_id != community.pk:
            raise ValidationError(
                {
                    "unit": _("%(unit)s is not a co-building unit of this community.")
                    % {"unit": unit.name}
                }
            )
    # The picker's rule is the rule: whom it offers is whom this accepts.
    if assignee is not None and not (assignable_people(by, ticket).filter(pk=assignee.pk).exists()):
        raise ValidationError(
            {
                "assignee": _("%(user)s does not work in %(area)s.")
                % {"user": assignee, "area": ticket.area.name}
            }
        )
    before, previous = ticket.status, ticket.assignee
    ticket.status, ticket.assignee, ticket.department = Status.ASSIGNED, assignee, department
    ticket.unit = unit
    who = str(assignee) if assignee else department.name if department else unit.name
    note = note or _("to %(who)s") % {"who": who}
    _save(ticket, A.ASSIGN, by, before, note, public=True, at=now)
    _announce(ticket, A.ASSIGN, by, now=now, previous_assignee=previous, history=at is not None)
    # An assignee on leave: the colleague who covers them hears instead (notifications, AB岗).
    people = [assignee] if assignee else list(department.members.all()) if department else []
    if people:
        notify(
            kind=NoticeKind.ASSIGNED,
            recipients=[p for p in people if p != by],
            subject=ticket,
            deadline_version=ticket.deadline_version,
            params={"code": ticket.short_code, "due": _iso(ticket.completion_due)},
            robots=False,
            extra_key=f"v{ticket.version}",
            now=now,
            actor=by,
        )
    return ticket


@_transition
def accept_and_assign(
    *,
    by,
    ticket: Ticket,
    assignee=None,
    department: Department | None = None,
    expected_version: int | None = None,
    note: str = "",
) -> Ticket:
    """受理 and 派单 in one step from the board: the two transitions, each with its own
    rule, lock and timeline entry, in one transaction, so an assignee the second refuses
    (outside the request's grid, say) leaves the request unaccepted as it was."""
    if [assignee, department].count(None) != 1:
        raise ValidationError(_("Assign to one person or to one department."))
    accepted = accept(by=by, ticket=ticket, expected_version=expected_version)
    return assign(
        by=by,
        ticket=accepted,
        assignee=assignee,
        department=department,
        expected_version=accepted.version,
        note=note,
    )


def _iso(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment else ""


@_transition
def claim(
    *, by, ticket: Ticket, expected_version: int | None = None, at: dt.datetime | None = None
) -> Ticket:
    """接单: a member or worker takes an accepted request from the open pool."""
    ticket = _lock(ticket, A.CLAIM, by, expected_version)
    before = ticket.status
    ticket.status, ticket.assignee, ticket.department, ticket.unit = Status.ASSIGNED, by, None, None
    _save(ticket, A.CLAIM, by, before, at=_when(at, ticket))
    return ticket


@_transition
def start(
    *, by, ticket: Ticket, expected_version: int | None = None, at: dt.datetime | None = None
) -> Ticket:
    ticket = _lock(ticket, A.START, by, expected_version)
    before = ticket.status
    ticket.status = Status.IN_PROGRESS
    _save(ticket, A.START, by, before, at=_when(at, ticket))
    return ticket


@_transition
def return_to_dispatch(
    *,
    by,
    ticket: Ticket,
    reason: str,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why you are returning it.")})
    ticket = _lock(ticket, A.RETURN, by, expected_version)
    before = ticket.status
    ticket.status, ticket.assignee, ticket.department = Status.ACCEPTED, None, None
    ticket.unit = None
    now = _when(at, ticket)
    _save(ticket, A.RETURN, by, before, reason.strip(), public=False, at=now)
    _announce(ticket, A.RETURN, by, now=now, history=at is not None)
    return ticket


@_transition
def resolve(
    *,
    by,
    ticket: Ticket,
    result: str,
    photos: Iterable[File] = (),
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    photos = list(photos)
    if not result.strip():
        raise ValidationError({"result": _("Describe what was done.")})
    ticket = _lock(ticket, A.RESOLVE, by, expected_version)
    _require_parts_in(ticket)
    if ticket.matter.photo_required and not photos:
        raise ValidationError({"photos": _("This matter needs a photo of the result.")})
    cleaned = clean_photos(photos)
    before = ticket.status
    ticket.status, ticket.resolved_at = Status.RESOLVED, _when(at, ticket)
    ticket.resolved_by = by
    event = _save(ticket, A.RESOLVE, by, before, result.strip(), at=ticket.resolved_at)
    _attach(ticket, event, cleaned, Photo.Kind.RESULT)
    _lead_done(ticket, by, result.strip(), event, at=ticket.resolved_at)
    return ticket


@_transition
def suspend(
    *,
    by,
    ticket: Ticket,
    reason: str,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    """挂起: the clock stops until resumed (waiting for a part, for the owner to be home)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the request waits.")})
    ticket = _lock(ticket, A.SUSPEND, by, expected_version)
    before = ticket.status
    ticket.status_before_suspension, ticket.status = before, Status.SUSPENDED
    ticket.suspended_at = _when(at, ticket)
    _save(ticket, A.SUSPEND, by, before, reason.strip(), at=ticket.suspended_at)
    return ticket


@_transition
def resume(
    *,
    by,
    ticket: Ticket,
    expected_version: int | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Ticket:
    ticket = _lock(ticket, A.RESUME, by, expected_version)
    now = _when(at, ticket)
    paused = now - ticket.suspended_at
    ticket.status, ticket.status_before_suspension = ticket.status_before_suspension, ""
    ticket.suspended_at = None
    if ticket.completion_due:
        ticket.completion_due += paused  # the time waiting does not count
        ticket.deadline_version += 1
    _save(ticket, A.RESUME, by, Status.SUSPENDED, note, at=now)
    return ticket


@_transition
def escalate(
    *,
    by,
    ticket: Ticket,
    reason: str,
    to_department: Department | None = None,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    """吹哨: hand the request up a level (or to a department), which must acknowledge."""
    ticket = _lock(ticket, A.ESCALATE, by, expected_version)
    before, now, previous = ticket.status, _when(at, ticket), ticket.assignee
    ticket.unit = None
    if to_department is not None:
        ticket.department, ticket.assignee = to_department, None
    else:
        parent = Area.objects.get_parent(ticket.area)
        while parent is not None and parent.level in (Level.GRID, Level.MICRO_GRID):
            parent = Area.objects.get_parent(parent)
        # Staff escalate to a department from the street; only the overdue ladder reaches
        # the district itself, for the command centre to take in hand.
        if parent is None or (parent.level == Level.DISTRICT and by is not None):
            raise ValidationError(_("There is no level above to escalate to; name a department."))
        ticket.area, ticket.assignee, ticket.department = parent, None, None
    ticket.escalation_level += 1
    ticket.acknowledged_at = None
    ticket.escalated_at = now
    # A department handles it itself; a higher level dispatches it again.
    ticket.status = Status.ASSIGNED if to_department is not None else Status.ACCEPTED
    if before == Status.SUBMITTED:
        ticket.accepted_at = now
        ticket.completion_due = completion_due(ticket, ticket.accepted_at)
    _save(ticket, A.ESCALATE, by, before, reason.strip(), at=now)
    _announce(ticket, A.ESCALATE, by, now=now, previous_assignee=previous, history=at is not None)
    return ticket


def follow_up_visit(*, visit, by, choice: str) -> Ticket:
    """A visit's "follow-up needed": a request in the same step, prefilled from the visit
    (what was found, the household, its photos) and routed like any other."""
    matter = Matter.objects.filter(code=choice, active=True).first() if choice else None
    if matter is None:
        raise ValidationError({"follow_up_matter": _("Choose what kind of request this is.")})
    photos = [photo.image for photo in visit.photos.all()[:MAX_PHOTOS]]
    for photo in photos:
        photo.open("rb")
    try:
        return submit(
            channel=Channel.FIELD,
            matter=matter,
            description=visit.findings,
            address=visit.household.address if visit.household else visit.place.address,
            longitude=visit.longitude,
            latitude=visit.latitude,
            grid=visit.grid,
            household=visit.household,
            photos=photos,
            by=by,
            visit=visit,
        )
    finally:
        for photo in photos:
            photo.close()


def follow_up_made(*, visit, by, choice: str) -> FollowUpMade:
    """The visit hook's handler: the request made from the visit, by its code, with its page
    only if the visitor may open it."""
    ticket = follow_up_visit(visit=visit, by=by, choice=choice)
    visible = Ticket.objects.visible_to(by).filter(pk=ticket.pk).exists()
    url = reverse("ticket_detail", args=[ticket.short_code]) if visible else ""
    return FollowUpMade(code=ticket.short_code, url=url)


def follow_up_choices() -> list[tuple[str, str]]:
    """The catalogue's matters a worker may raise from a visit, in the reader's language."""
    return [
        (matter.code, matter.name)
        for matter in Matter.objects.filter(active=True)
        .exclude(code=WISH_MATTER)
        .order_by("category__order", "code")
    ]


def escalate_overdue(*, ticket: Ticket) -> Ticket:
    """The sweep's 吹哨 ladder: grid → community → street → the owning department, or the
    district when the matter has none."""
    department = None
    if ticket.area.level in (Level.STREET, Level.TOWN) and ticket.matter.department_id:
        department = ticket.matter.department
    return escalate(
        by=None,
        ticket=ticket,
        to_department=department,
        reason=_("Overdue: escalated automatically."),
    )


@_transition
def acknowledge(
    *, by, ticket: Ticket, expected_version: int | None = None, at: dt.datetime | None = None
) -> Ticket:
    ticket = _lock(ticket, A.ACKNOWLEDGE, by, expected_version)
    ticket.acknowledged_at = _when(at, ticket)
    lead = (
        Summons.objects.select_for_update(of=("self",))
        .filter(ticket=ticket, role=SummonsRole.LEAD, department_id=ticket.department_id)
        .exclude(state=SummonsState.WITHDRAWN)
        .first()
    )
    if lead is not None:
        # The lead department of a co-handled request: its 报到 is its summons', and the
        # part's limit set on the summons stays the request's.
        if lead.state == SummonsState.SUMMONED:
            lead.state = SummonsState.ACKNOWLEDGED
            lead.acknowledged_at, lead.acknowledged_by = ticket.acknowledged_at, by
            _save_summons(lead, ["state", "acknowledged_at", "acknowledged_by"])
    elif ticket.status in ACTIVE_STATUSES:
        # The level that takes it on gets the catalogue's time from now; the lower level's
        # deadline, passed already, would make it overdue the moment it is taken.
        ticket.completion_due = completion_due(ticket, ticket.acknowledged_at)
    _save(ticket, A.ACKNOWLEDGE, by, ticket.status, at=ticket.acknowledged_at)
    return ticket


@_transition
def merge(
    *,
    by,
    ticket: Ticket,
    into: Ticket,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    """A duplicate closes with a link to the master; both residents see it on their page."""
    if into.pk == ticket.pk:
        raise ValidationError(_("A request cannot be merged into itself."))
    ticket = _lock(ticket, A.MERGE, by, expected_version)
    master = Ticket.objects.select_for_update(of=("self",)).get(pk=into.pk)
    if master.status in FINAL_STATUSES or master.merged_into_id:
        raise ValidationError(_("Merge into a request that is still open."))
    if not may_dispatch(by, master):
        raise PermissionDenied(_("You may not do this to this request."))
    before = ticket.status
    ticket.status, ticket.merged_into, ticket.closed_at = Status.MERGED, master, _when(at, ticket)
    ticket.public_reason = _("Merged with request %(code)s, which reports the same problem.") % {
        "code": master.short_code
    }
    _save(ticket, A.MERGE, by, before, ticket.public_reason, at=ticket.closed_at)
    _event(
        master,
        A.NOTE,
        by,
        master.status,
        _("Request %(code)s was merged into this one.") % {"code": ticket.short_code},
        at=ticket.closed_at,
    )
    return ticket


@_transition
def rate(
    *, ticket: Ticket, rating: int, comment: str = "", at: dt.datetime | None = None
) -> Ticket:
    """The resident's review from the tracking link (no sign-in).

    4–5 closes it, 3 closes it, 1–2 reopens it once; a second low rating sends it to the
    community head for a look of their own.
    """
    if rating not in range(1, 6):
        raise ValidationError({"rating": _("Choose from 1 to 5 stars.")})
    _bound_lock_waits()  # the resident is waiting on the tracking page
    ticket = _lock_row(ticket.pk, select_related=("area", "matter", "assignee"))
    if ticket.status != Status.RESOLVED:
        raise ValidationError(_("This request is not waiting for your review."))
    before, now = ticket.status, _when(at, ticket)
    ticket.rating, ticket.rating_comment = rating, comment.strip()[:500]
    ticket.version += 1
    if rating >= 3:
        ticket.status, ticket.closed_at = Status.CLOSED, now
        ticket.next_check_at = None
        ticket.full_clean()
        ticket.save()
        _event(ticket, A.RATE, None, before, _("%(n)s stars") % {"n": rating}, at=now)
        if rating >= 4:
            propose_points(ticket=ticket)
        return ticket
    ticket.reopen_count += 1
    last_handler = ticket.assignee
    ticket.status, ticket.assignee, ticket.department = Status.ACCEPTED, None, None
    ticket.unit = None
    ticket.resolved_at, ticket.accepted_at = None, now
    ticket.completion_due = completion_due(ticket, now)
    if ticket.reopen_count >= 2:
        community = _community_of(ticket.area)
        if community is not None:
            ticket.area = community
            ticket.escalation_level += 1
            ticket.acknowledged_at = None
            ticket.escalated_at = now
    schedule(ticket)
    ticket.full_clean()
    ticket.save()
    _event(
        ticket,
        A.REOPEN,
        None,
        before,
        _("%(n)s stars: %(comment)s") % {"n": rating, "comment": comment.strip()[:200]},
        at=now,
    )
    _announce(
        ticket,
        A.REOPEN,
        None,
        now=now,
        previous_assignee=last_handler,
        params={"rating": rating, "comment": ticket.rating_comment},
        history=at is not None,
    )
    return ticket


def propose_points(*, ticket: Ticket) -> None:
    """A request of a points-earning catalogue item, closed with 4–5 stars, proposes points
    to whoever did it; the proposal waits for the community's verification like any
    declaration, and the request's key makes it once."""
    if not (ticket.matter_id and ticket.matter.earns_points and ticket.assignee_id):
        return
    rule = points_services.ticket_rule()
    community = ticket.area.community()
    # A per-hour rule has no hours to go by here: only a rule per occurrence proposes.
    if rule is None or community is None or rule.unit != rule.Unit.FIXED:
        return
    account = points_services.account_for_user(
        scheme=rule.scheme, user=ticket.assignee, community=community
    )
    points_services.propose(
        by=ticket.assignee,
        account=account,
        rule=rule,
        served_on=timezone.localtime(ticket.resolved_at or timezone.now()).date(),
        description=f"{ticket.short_code} · {ticket.matter.name_zh}",
        source_key=f"ticket:{ticket.pk}",
    )


@transaction.atomic
def auto_close(*, ticket_id: int, now: dt.datetime | None = None) -> bool:
    """Close a resolved request the resident has not rated in AUTO_CLOSE_DAYS; re-checks."""
    now = now or timezone.now()
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .filter(
            pk=ticket_id,
            status=Status.RESOLVED,
            resolved_at__lte=now - dt.timedelta(days=AUTO_CLOSE_DAYS),
        )
        .first()
    )
    if ticket is None:
        return False
    ticket.status, ticket.closed_at, ticket.auto_closed = Status.CLOSED, now, True
    ticket.version += 1
    ticket.next_check_at = None
    ticket.save()
    _event(
        ticket,
        A.CLOSE,
        None,
        Status.RESOLVED,
        _("Closed as satisfied: no review within %(n)s days.") % {"n": AUTO_CLOSE_DAYS},
        at=now,
    )
    return True


# --- Co-handling (吹哨报到 with several departments) -------------------------------------------
# A street or community officer summons departments on one request: one lead, which the
# request goes to (as ``escalate(to_department=…)`` gives it), and co-handlers. Each
# acknowledges (报到) and reports its part; the lead resolves once every part is in, or the
# street overrides the missing parts with a reason. The sweep reminds and escalates a
# department that does not acknowledge in time (tickets/sweep.py).

SUMMON = "summon"
OVERRIDE = "override"
# Parts that are still owed: the request waits for them.
OWED = (SummonsState.SUMMONED, SummonsState.ACKNOWLEDGED)
SUMMON_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS)

COHANDLING_RULES: dict[str, Rule] = {
    SUMMON: Rule(SUMMON_STATUSES, may_summon),
    OVERRIDE: Rule(
        (*SUMMON_STATUSES, Status.SUSPENDED),
        lambda user, t: may_override_cohandling(user, t) and _owed(t).exists(),
    ),
}
# What a summoned department's member may do to its summons, by the summons' state.
SUMMONS_RULES: dict[str, tuple[str, ...]] = {
    A.ACKNOWLEDGE: (SummonsState.SUMMONED,),
    "report": (SummonsState.ACKNOWLEDGED,),
}
# The limits an officer may set on the form instead of the catalogue's.
MAX_LIMIT_HOURS = 24 * 30


def _owed(ticket: Ticket):
    """The co-handlers' parts the request still waits for."""
    return Summons.objects.filter(ticket=ticket, role=SummonsRole.CO, state__in=OWED)


def cohandling_actions(user, ticket: Ticket, summonses: list | None = None) -> list[str]:
    """What ``user`` may do to the request's co-handling: summon, override. A page that has
    read the request's ``summonses`` passes them: whether parts are owed is then known."""
    found = []
    for action, rule in COHANDLING_RULES.items():
        if ticket.status not in rule.from_statuses:
            continue
        if action == OVERRIDE and summonses is not None:
            allowed = may_override_cohandling(user, ticket) and any(
                s.role == SummonsRole.CO and s.state in OWED for s in summonses
            )
        else:
            allowed = rule.allowed(user, ticket)
        if allowed:
            found.append(action)
    return found


def summons_actions(user, summons: Summons, member_of: set[int] | None = None) -> list[str]:
    """What ``user`` may do to one summons: acknowledge (报到), report the part. A page that
    shows several passes ``member_of`` (the user's departments, read once)."""
    if summons.ticket.status not in OPEN_STATUSES:
        return []
    member = (
        summons.department_id in member_of
        if member_of is not None
        else is_summoned_member(user, summons)
    )
    if not member:
        return []
    actions = [a for a, states in SUMMONS_RULES.items() if summons.state in states]
    if summons.is_lead:  # the lead's part is the request's resolution
        actions = [a for a in actions if a != "report"]
    return actions


def _limit(now: dt.datetime, hours: int | None, amount: int, unit: str) -> dt.datetime:
    if hours is None:
        return due(now, amount, unit)
    if not 1 <= hours <= MAX_LIMIT_HOURS:
        raise ValidationError(_("A limit is between 1 and %(n)s hours.") % {"n": MAX_LIMIT_HOURS})
    return now + dt.timedelta(hours=hours)


def _lock_summons(summons: Summons, by) -> tuple[Summons, Ticket]:
    """Lock the request, then its summons (always in this order: the sweep's too)."""
    if by is not None:
        _bound_lock_waits()
    ticket = _lock_row(
        summons.ticket_id, select_related=("area", "matter", "department", "assignee", "unit")
    )
    locked = (
        Summons.objects.select_for_update(of=("self",))
        .select_related("department")
        .get(pk=summons.pk)
    )
    locked.ticket = ticket
    return locked, ticket


def _save_summons(summons: Summons, fields: list[str]) -> None:
    summons.version += 1
    schedule_summons(summons)
    summons.full_clean(validate_constraints=False)
    summons.save(update_fields=[*fields, "version", "next_check_at"])


@_transition
def summon(
    *,
    by,
    ticket: Ticket,
    lead: Department,
    co: Iterable[Department] = (),
    reason: str,
    acknowledge_hours: int | None = None,
    completion_hours: int | None = None,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> list[Summons]:
    """吹哨: summon a lead department and co-handlers on one request. The request goes to the
    lead (assigned, as an escalation to a department); each department is told, with its
    limits: the catalogue's (the matter's response limit to acknowledge, its completion
    limit for the part) unless the officer set hours on the form."""
    co = list(co)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the departments are summoned.")})
    if lead in co:
        raise ValidationError(
            {"co": _("The lead department is not also a co-handler: choose it once.")}
        )
    if len({d.pk for d in co}) != len(co):
        raise ValidationError({"co": _("Each department is summoned once.")})
    inactive = [d.name for d in [lead, *co] if not d.active]
    if inactive:
        raise ValidationError(
            _("Deactivated departments cannot be summoned: %(names)s.")
            % {"names": _(", ").join(inactive)}
        )
    ticket = _lock_for(
        ticket,
        COHANDLING_RULES[SUMMON],
        by,
        expected_version,
        lambda locked: (
            _("This request is %(status)s: departments cannot be summoned now.")
            % {"status": locked.get_status_display()}
        ),
    )
    if Summons.objects.filter(ticket=ticket).exclude(state=SummonsState.WITHDRAWN).exists():
        raise ValidationError(
            _("Departments are already summoned on this request; override them first.")
        )
    now = _when(at, ticket)
    matter = ticket.matter
    acknowledge_due = _limit(now, acknowledge_hours, matter.response_limit, matter.response_unit)
    part_due = _limit(now, completion_hours, matter.completion_limit, matter.completion_unit)
    if part_due < acknowledge_due:
        raise ValidationError(
            {"completion_hours": _("The part cannot be due before the department acknowledges.")}
        )
    summonses = []
    for department, role in [(lead, SummonsRole.LEAD)] + [(d, SummonsRole.CO) for d in co]:
        summons = Summons(
            ticket=ticket,
            department=department,
            role=role,
            summoned_at=now,
            summoned_by=by,
            acknowledge_due=acknowledge_due,
            completion_due=part_due,
        )
        schedule_summons(summons)
        summons.full_clean(validate_constraints=False)
        summons.save()
        summonses.append(summons)
    # The request goes to the lead, as an escalation to a department does.
    before, previous = ticket.status, ticket.assignee
    ticket.department, ticket.assignee, ticket.unit = lead, None, None
    ticket.escalation_level += 1
    ticket.acknowledged_at = None
    ticket.escalated_at = now
    ticket.status = Status.ASSIGNED
    if ticket.accepted_at is None:
        ticket.accepted_at = now
    ticket.deadline_version += 1
    ticket.completion_due = part_due
    names = _("lead: %(lead)s") % {"lead": lead.name}
    if co:
        names += _("; with: %(co)s") % {"co": _(", ").join(d.name for d in co)}
    note = _("Departments summoned (吹哨) — %(names)s. %(reason)s") % {
        "names": names,
        "reason": reason.strip(),
    }
    _save(ticket, A.ESCALATE, by, before, note, at=now)
    history = at is not None
    _announce(ticket, A.ESCALATE, by, now=now, previous_assignee=previous, history=history)
    if not history:
        by_pk = getattr(by, "pk", None)
        members = Department.members.through.objects.filter(
            department_id__in=[s.department_id for s in summonses]
        ).select_related("user")
        by_department: dict[int, list] = {}
        for row in members:
            if row.user_id != by_pk and row.user.is_active:
                by_department.setdefault(row.department_id, []).append(row.user)
        for summons in summonses:
            people = by_department.get(summons.department_id, [])
            if people:
                notify(
                    kind=NoticeKind.SUMMONED,
                    recipients=people,
                    subject=ticket,
                    params={
                        "code": ticket.short_code,
                        "department": summons.department.name,
                        "role": summons.role,
                        "due": _iso(summons.acknowledge_due),
                    },
                    robots=False,
                    extra_key=f"s{summons.pk}",
                    now=now,
                )
    return summonses


@_transition
def acknowledge_summons(
    *, by, summons: Summons, expected_version: int | None = None, at: dt.datetime | None = None
) -> Summons:
    """报到: a member acknowledges for the department. The lead's 报到 is the request's."""
    summons, ticket = _lock_summons(summons, by)
    if expected_version is not None and summons.version != expected_version:
        raise StaleTicket()
    if summons.state != SummonsState.SUMMONED:
        raise ValidationError(
            _("%(department)s has already acknowledged.") % {"department": summons.department.name}
        )
    if by is not None and not is_summoned_member(by, summons):
        raise PermissionDenied(_("You may not do this to this request."))
    now = _when(at, ticket)
    summons.state = SummonsState.ACKNOWLEDGED
    summons.acknowledged_at, summons.acknowledged_by = now, by
    _save_summons(summons, ["state", "acknowledged_at", "acknowledged_by"])
    note = _("%(department)s acknowledged (报到)") % {"department": summons.department.name}
    if summons.is_lead and ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
        _save(ticket, A.ACKNOWLEDGE, by, ticket.status, note, at=now)
    else:
        ticket.version += 1
        ticket.save(update_fields=["version", "updated_at"])
        _event(ticket, A.ACKNOWLEDGE, by, ticket.status, note, at=now)
    return summons


@_transition
def report_part(
    *,
    by,
    summons: Summons,
    report: str,
    photos: Iterable[File] = (),
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Summons:
    """A co-handling department reports its part: what it did, with photos."""
    if not report.strip():
        raise ValidationError({"report": _("Describe what your department did.")})
    cleaned = clean_photos(list(photos))
    summons, ticket = _lock_summons(summons, by)
    if expected_version is not None and summons.version != expected_version:
        raise StaleTicket()
    if by is not None and not is_summoned_member(by, summons):
        raise PermissionDenied(_("You may not do this to this request."))
    if summons.is_lead:
        raise ValidationError(_("The lead department reports by resolving the request."))
    if summons.state != SummonsState.ACKNOWLEDGED:
        raise ValidationError(
            _("Acknowledge (报到) first, then report the part.")
            if summons.state == SummonsState.SUMMONED
            else _("This part is closed.")
        )
    now = _when(at, ticket)
    # A note on the timeline, not a move: the request's version stays (its forms stay valid).
    note = _("Part of %(department)s: %(report)s") % {
        "department": summons.department.name,
        "report": report.strip(),
    }
    event = _event(ticket, A.NOTE, by, ticket.status, note, at=now)
    _attach(ticket, event, cleaned, Photo.Kind.RESULT)
    summons.state, summons.report = SummonsState.DONE, report.strip()
    summons.reported_at, summons.reported_by, summons.report_event = now, by, event
    _save_summons(summons, ["state", "report", "reported_at", "reported_by", "report_event"])
    return summons


@_transition
def override_cohandling(
    *,
    by,
    ticket: Ticket,
    reason: str,
    result: str = "",
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    """The street withdraws the parts still missing, with a reason on the timeline, so the
    lead can resolve; with ``result`` the street resolves the request itself as well."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the missing parts are not waited for.")})
    nothing_missing = _("No department's part is missing on this request.")
    ticket = _lock_for(
        ticket, COHANDLING_RULES[OVERRIDE], by, expected_version, lambda locked: nothing_missing
    )
    if not _owed(ticket).exists():
        raise ValidationError(nothing_missing)
    now = _when(at, ticket)
    missing = list(_owed(ticket).select_for_update(of=("self",)).select_related("department"))
    for summons in missing:
        summons.state = SummonsState.WITHDRAWN
        _save_summons(summons, ["state"])
    note = _("Parts no longer waited for (%(departments)s): %(reason)s") % {
        "departments": _(", ").join(s.department.name for s in missing),
        "reason": reason.strip(),
    }
    before = ticket.status
    # A note, not a move (the request's version stays), then the street's resolution if given.
    _event(ticket, A.NOTE, by, before, note, public=False, at=now)
    if result.strip() and ticket.status in (Status.ASSIGNED, Status.IN_PROGRESS):
        ticket.status, ticket.resolved_at = Status.RESOLVED, now
        event = _save(ticket, A.RESOLVE, by, before, result.strip(), at=now)
        _lead_done(ticket, by, result.strip(), event, at=now)
    return ticket


def _require_parts_in(ticket: Ticket) -> None:
    """The lead resolves a co-handled request once every co-handler's part is in."""
    missing = list(_owed(ticket).values_list("department__name_zh", "department__name_en"))
    if missing:
        names = _(", ").join(Department(name_zh=zh, name_en=en).name for zh, en in missing)
        raise ValidationError(
            _(
                "Waiting for the parts of: %(names)s. Resolve once they report, or ask the "
                "street to override."
            )
            % {"names": names}
        )


def _lead_done(ticket: Ticket, by, result: str, event: Event, *, at: dt.datetime) -> None:
    """The lead's part is the request's resolution."""
    for summons in Summons.objects.select_for_update(of=("self",)).filter(
        ticket=ticket, role=SummonsRole.LEAD, state__in=OWED
    ):
        summons.state, summons.report = SummonsState.DONE, result[:2000]
        summons.reported_at, summons.reported_by, summons.report_event = at, by, event
        _save_summons(summons, ["state", "report", "reported_at", "reported_by", "report_event"])


def assignable_people(user, ticket: Ticket | None = None, *, within: list[str] | None = None):
    """People a dispatcher may give work to: those holding posts at or under the level that
    holds the ticket (a community that took an escalated request hands it back down to its
    grids), or, for the board, under the areas at ``within`` (the paths of the grids of the
    requests it shows), else under every area the dispatcher covers; and the party members
    of the branches covering those grids. ``assign`` accepts exactly these people.

    One query, whatever the number of people: each comes annotated with ``role`` (their most
    senior post there, or ``PARTY_MEMBER``), ``post_area`` (where that post is), ``place`` (the
    path of that post's area, or of the first grid their branch covers) and ``load`` (open
    requests assigned to them now), so the picker can show whom it offers.
    """
    from branches.models import PartyMember
    from grids.models import Post
    from grids.roles import ROLE_SENIORITY
    from grids.scope import path_q, scope_paths

    User = get_user_model()
    posts = Post.objects.active().exclude(role=Post.Role.MOBILE_WORKER)
    members = PartyMember.objects.filter(active=True, user__isnull=False)
    if ticket is not None:
        grid_path = ticket.area.path[:GRID_PATH_LENGTH]
        posts = posts.filter(area__path__startswith=grid_path)
        members = members.filter(branch__coverage__grid__path__startswith=grid_path)
    else:
        # The board offers the people of the grids its page shows: in the whole district
        # that is tens of people, not the 5,000 of every grid (a 250 ms query and a page of
        # options nobody scrolls).
        paths = scope_paths(user, TicketCapability.DISPATCH_TICKETS)
        if within is not None:
            paths = [p for p in within if any(p.startswith(mine) for mine in paths)]
        posts = posts.filter(path_q(paths, "area__path"))
        members = members.filter(path_q(paths, "branch__coverage__grid__path"))
    top_post = posts.filter(user=OuterRef("pk")).order_by(
        Case(
            *(When(role=role, then=Value(rank)) for rank, role in enumerate(ROLE_SENIORITY)),
            output_field=IntegerField(),
        ),
        "area__path",
    )
    branch_grid = members.filter(user=OuterRef("pk")).order_by("branch__coverage__grid__path")
    load = (
        Ticket.objects.filter(assignee=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        # One IN over the union, not an OR of two: PostgreSQL then estimates the handful of
        # people it finds instead of every user of the district, whose four subqueries each
        # priced the plan past jit_above_cost (2.5 s of JIT compiling for a 7 ms query at
        # district scale).
        User.objects.filter(
            pk__in=posts.order_by().values("user_id").union(members.order_by().values("user_id")),
            is_active=True,
        )
        .annotate(
            role=Coalesce(Subquery(top_post.values("role")[:1]), Value(PARTY_MEMBER)),
            post_area=Subquery(top_post.values("area__name")[:1]),
            place=Coalesce(
                Subquery(top_post.values("area__path")[:1]),
                Subquery(branch_grid.values("branch__coverage__grid__path")[:1]),
            ),
            load=Coalesce(Subquery(load), Value(0)),
        )
        .order_by("display_name", "username")
    )


# The role the picker shows for a party member of a covering branch who holds no post there.
PARTY_MEMBER = "party_member"


def placed_in(person, grid_path: str) -> bool:
    """Whether a candidate of ``assignable_people`` (annotated) belongs to the requests of the
    area at ``grid_path`` (a grid's, or a community's for its triage queue), by the same rule
    as ``assignable_people(user, ticket)``: a post under it, or a branch covering a grid there."""
    return (person.place or "").startswith(grid_path)


@transaction.atomic
def set_community_rules(*, by, community: Area, grid_workers_accept: bool) -> CommunityRules:
    """A community's staff choose whether its grids' full-time workers accept new requests."""
    if not may_change_community_rules(by, community):
        raise PermissionDenied(_("You may not change this community's rules."))
    rules, _created = CommunityRules.objects.select_for_update().get_or_create(community=community)
    rules.grid_workers_accept = grid_workers_accept
    rules.full_clean()
    rules.save()
    return rules


def assignable_departments():
    """Departments a request may be given to (部门报到), with their open requests (one query)."""
    return Department.objects.filter(active=True).annotate(
        load=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES))
    )


# --- The catalogue of matters -----------------------------------------------------------------


@transaction.atomic
def save_matter(*, by, district: Area, code: str, matter: Matter | None = None, **fields) -> Matter:
    """Add an item to the catalogue of matters (事项清单), or change one, from an import row
    (onboarding): the catalogue pages' services below, with their rules, and ``active``
    through the same (de)activation as the page's button."""
    if district.depth != 1:
        raise PermissionDenied(_("This kind of data is kept for the whole district."))
    active = fields.pop("active", None)
    if matter is None:
        matter = create_matter(by=by, code=code, **fields)
    else:
        matter = Matter.objects.select_for_update().get(pk=matter.pk)
        matter = update_matter(by=by, matter=matter, code=code, **fields)
    if active is not None and active != matter.active:
        matter = set_matter_active(by=by, matter=matter, active=active)
    return matter


# The working-day calendar (core.models.CalendarDay): the district's, kept on its page
# (tickets/calendar.py). The longest official break is nine days; a month is plenty.
CALENDAR_RANGE_DAYS = 31


@transaction.atomic
def add_calendar_days(
    *, by, start: dt.date, end: dt.date | None = None, is_workday: bool, note: str = ""
) -> list[CalendarDay]:
    """Mark ``start``…``end`` (one day without ``end``) as public holidays or as weekend
    working days (调休). Days that already are so by the weekday are left out (a holiday's
    weekend); a day already in the calendar refuses the whole range."""
    if not may_manage_calendar(by):
        raise PermissionDenied
    end = end or start
    if end < start:
        raise ValidationError({"end": _("The last day is before the first.")})
    if (end - start).days >= CALENDAR_RANGE_DAYS:
        raise ValidationError(
            {"end": _("At most %(n)s days at once.") % {"n": CALENDAR_RANGE_DAYS}}
        )
    dates = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    taken = list(
        CalendarDay.objects.select_for_update()
        .filter(date__range=(start, end))
        .values_list("date", flat=True)
    )
    if taken:
        raise ValidationError(
            _("Already in the calendar: %(dates)s. Delete it first to change it.")
            % {"dates": ", ".join(day.isoformat() for day in taken)}
        )
    # A holiday on a weekend, or a working Monday, changes nothing: not worth a row.
    dates = [day for day in dates if (day.weekday() < 5) != is_workday]
    if not dates:
        raise ValidationError(
            _("Those days are already weekend days.")
            if not is_workday
            else _("Those days are already working days (Monday to Friday).")
        )
    added = []
    try:
        with transaction.atomic():
            for day in dates:
                row = CalendarDay(date=day, is_workday=is_workday, note=note)
                row.full_clean()
                row.save()
                added.append(row)
    except IntegrityError:
        # Someone added one of these days since the check above (the unique date caught it).
        raise ValidationError(
            _("Someone has just added some of these days; nothing was added. Reload the page.")
        ) from None
    return added


@transaction.atomic
def delete_calendar_day(*, by, day: CalendarDay) -> None:
    if not may_manage_calendar(by):
        raise PermissionDenied
    day.delete()


# --- The catalogue of matters and departments (tickets/catalogue_pages.py and the admin) -----
# The district's, like the calendar. A matter's limits are read when a request is submitted
# (response) and accepted (completion): deadlines already set on open requests stay.

MATTER_FIELDS = [
    "name_en",
    "name_zh",
    "category",
    "owner_level",
    "department",
    "response_limit",
    "response_unit",
    "completion_limit",
    "completion_unit",
    "photo_required",
    "escalate_after_hours",
    "earns_points",
]
DEPARTMENT_FIELDS = ["name_en", "name_zh"]
CATEGORY_FIELDS = ["name_en", "name_zh", "order"]


def _require_catalogue(by) -> None:
    if by is not None and not may_manage_catalogue(by):
        raise PermissionDenied(_("You do not have permission to do this here."))


def _keep_code(obj, fields: dict) -> None:
    """A code names the row to systems (the API's matter codes) and to the demo: permanent."""
    if "code" in fields and fields.pop("code") != obj.code:
        raise ValidationError(
            {"code": _("A code is permanent once saved; other systems refer to it.")}
        )


def _set_fields(obj, fields: dict, editable: list[str]) -> None:
    unknown = set(fields) - set(editable)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(obj, name, value)


def check_department_for(matter: Matter) -> None:
    """An active matter goes to an active department (or none)."""
    if matter.active and matter.department_id and not matter.department.active:
        raise ValidationError(
            {"department": _("This department is deactivated; reactivate it or choose another.")}
        )


def check_matter_active(matter: Matter, active: bool) -> None:
    """The rules of (de)activating a matter, for the pages and the admin's form alike."""
    if not active and matter.code == WISH_MATTER:
        raise ValidationError(_("The micro-wish matter carries the wish walls; it stays active."))
    if active and matter.department_id and not matter.department.active:
        raise ValidationError(
            _("Its department is deactivated: reactivate the department or choose another first.")
        )


def check_department_active(department: Department, active: bool) -> None:
    """A department that still takes active matters stays active: they would go nowhere."""
    if active or not department.pk:
        return
    owned = list(
        Matter.objects.filter(department=department, active=True).values_list("code", flat=True)
    )
    if owned:
        raise ValidationError(
            _(
                "It still takes active matters (%(codes)s): give them to another "
                "department or deactivate them first."
            )
            % {"codes": ", ".join(owned)}
        )


@transaction.atomic
def create_matter(*, by, code: str, **fields) -> Matter:
    _require_catalogue(by)
    matter = Matter(code=code)
    _set_fields(matter, fields, MATTER_FIELDS)
    matter.full_clean()
    check_department_for(matter)
    matter.save()
    return matter


@transaction.atomic
def update_matter(*, by, matter: Matter, expected_version: int | None = None, **fields) -> Matter:
    """Change a matter: requests submitted from now on follow it; deadlines already set on open
    requests stay (a request not yet accepted gets the new completion limit when accepted)."""
    _require_catalogue(by)
    _keep_code(matter, fields)
    _set_fields(matter, fields, MATTER_FIELDS)
    matter.full_clean()
    check_department_for(matter)
    save_if_unchanged(matter, expected_version, MATTER_FIELDS)
    return matter


@transaction.atomic
def set_matter_active(
    *, by, matter: Matter, active: bool, expected_version: int | None = None
) -> Matter:
    """Deactivate (no new requests of it; open ones go on) or reactivate a matter."""
    _require_catalogue(by)
    check_matter_active(matter, active)
    matter.active = active
    save_if_unchanged(matter, expected_version, ["active"])
    return matter


@transaction.atomic
def create_department(*, by, code: str, members: Iterable = (), **fields) -> Department:
    _require_catalogue(by)
    department = Department(code=code)
    _set_fields(department, fields, DEPARTMENT_FIELDS)
    department.full_clean()
    department.save()
    department.members.set(members)
    return department


@transaction.atomic
def update_department(
    *,
    by,
    department: Department,
    expected_version: int | None = None,
    members: Iterable | None = None,
    **fields,
) -> Department:
    _require_catalogue(by)
    _keep_code(department, fields)
    _set_fields(department, fields, DEPARTMENT_FIELDS)
    department.full_clean()
    save_if_unchanged(department, expected_version, DEPARTMENT_FIELDS)
    if members is not None:
        department.members.set(members)
    return department


@transaction.atomic
def set_department_active(
    *, by, department: Department, active: bool, expected_version: int | None = None
) -> Department:
    _require_catalogue(by)
    check_department_active(department, active)
    department.active = active
    save_if_unchanged(department, expected_version, ["active"])
    return department


@transaction.atomic
def save_category(
    *, by, category: Category, expected_version: int | None = None, **fields
) -> Category:
    """Create (``category.pk`` None) or change a category of matters."""
    _require_catalogue(by)
    if category.pk:
        _keep_code(category, fields)
    else:
        category.code = fields.pop("code", category.code)
    _set_fields(category, {k: v for k, v in fields.items() if k != "active"}, CATEGORY_FIELDS)
    if "active" in fields:
        category.active = fields["active"]
    category.full_clean()
    if category.pk:
        save_if_unchanged(category, expected_version, [*CATEGORY_FIELDS, "active"])
    else:
        category.save()
    return category


# --- API clients (tickets/api_clients.py and the admin) ---------------------------------------


def _new_token(client: ApiClient) -> str:
    """A fresh token for ``client``: only its SHA-256 and last six characters are kept."""
    token = secrets.token_urlsafe(32)
    client.token_hash = hashlib.sha256(token.encode()).hexdigest()
    client.token_hint = token[-6:]
    return token


def _require_api(by, area) -> None:
    if by is not None and not can(by, TicketCapability.MANAGE_API_CLIENTS, area):
        raise PermissionDenied(_("You do not have permission to do this here."))


@transaction.atomic
def create_api_client(*, by, name: str, area: Area) -> tuple[ApiClient, str]:
    """A new client and its token, which the caller shows once: it is not kept."""
    _require_api(by, area)
    client = ApiClient(name=name, area=area)
    token = _new_token(client)
    client.full_clean()
    client.save()
    return client, token


@transaction.atomic
def update_api_client(
    *, by, client: ApiClient, expected_version: int | None = None, name: str, area: Area
) -> ApiClient:
    _require_api(by, client.area)
    _require_api(by, area)
    client.name, client.area = name, area
    client.full_clean()
    save_if_unchanged(client, expected_version, ["name", "area"])
    return client


@transaction.atomic
def rotate_api_token(*, by, client: ApiClient, expected_version: int | None = None) -> str:
    """A new token for the client; the old one stops working at once."""
    _require_api(by, client.area)
    token = _new_token(client)
    save_if_unchanged(client, expected_version, ["token_hash", "token_hint"])
    return token


@transaction.atomic
def set_api_client_active(
    *, by, client: ApiClient, active: bool, expected_version: int | None = None
) -> ApiClient:
    """Revoke (its token is refused from now on) or reactivate a client."""
    _require_api(by, client.area)
    client.active = active
    save_if_unchanged(client, expected_version, ["active"])
    return client


def _new_callback_secret(client: ApiClient) -> str:
    secret = callbacks.new_secret()
    client.callback_secret, client.callback_secret_hint = secret, secret[-6:]
    return secret


@transaction.atomic
def set_api_client_callback(
    *, by, client: ApiClient, url: str, expected_version: int | None = None
) -> str | None:
    """Set where the client's status changes are sent (tickets/callbacks.py), or stop them
    with ``url`` "" (which drops the secret too). Returns the signing secret when one was
    issued (the first time a URL is set), for the caller to show once; None otherwise."""
    _require_api(by, client.area)
    url = url.strip()
    secret = None
    if url:
        callbacks.check_url(url)
        if not client.callback_secret:
            secret = _new_callback_secret(client)
    else:
        client.callback_secret = client.callback_secret_hint = ""
    client.callback_url = url
    client.full_clean()
    save_if_unchanged(
        client, expected_version, ["callback_url", "callback_secret", "callback_secret_hint"]
    )
    return secret


@transaction.atomic
def rotate_callback_secret(*, by, client: ApiClient, expected_version: int | None = None) -> str:
    """A new signing secret; callbacks are signed with it from now on, retries included."""
    _require_api(by, client.area)
    if not client.callback_url:
        raise ValidationError(_("Set a callback address first."), code="no_callback")
    secret = _new_callback_secret(client)
    save_if_unchanged(client, expected_version, ["callback_secret", "callback_secret_hint"])
    return secret
