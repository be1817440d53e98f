"""The deadline sweep: reminders, overdue notices, the 吹哨 ladder, unclaimed wishes and
auto-closing, exactly once.

Each open ticket carries ``next_check_at``: the next point on its timeline (a reminder at 50%
or 80% of the allowed time, the deadline, the next escalation, the end of the review
period). Beat runs ``sweep`` every minute; it claims due tickets with
``SELECT … FOR UPDATE SKIP LOCKED`` in batches and, in the same transaction, acts on every
point in (``checked_until``, now] and writes the notifications (unique keys); of several
notices about one deadline that passed while no sweep ran, only the latest is sent. A second
sweeper skips the rows this one holds; a sweeper killed mid-batch rolls back and the rows
stay due; replaying a point writes nothing new. No reminder is ever a Celery ETA.

Tickets due for a transition (escalation, auto-close) are released from the batch's
transaction and claimed again a few at a time, each group in a short transaction of its own,
so a person acting on one waits for a few transitions, not for the batch.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from grids.models import Area, ancestor_paths
from notifications.models import NoticeKind
from notifications.notify import Message, notify_many
from tickets import services
from tickets.models import Department, Summons, SweepRun, Ticket
from tickets.policy import STREET_PATH_LENGTH
from tickets.timeline import (
    Point,
    next_check,
    points,
    schedule_summons,
    summons_points,
    wish_unclaimed_days,
)

BATCH = 500


# --- Who hears what -----------------------------------------------------------------------------


class Audience:
    """Dispatchers of each area and members of each department, read once per batch."""

    def __init__(self, tickets: list[Ticket], now: dt.datetime | None = None):
        paths = {ancestor for t in tickets for ancestor in ancestor_paths(t.area.path)}
        self.by_path = services.dispatchers_by_path(paths)
        self.departments: defaultdict[int, list] = defaultdict(list)
        ids = {t.department_id for t in tickets if t.department_id}
        if ids:
            for department in Department.objects.filter(pk__in=ids).prefetch_related("members"):
                self.departments[department.pk] = list(department.members.all())

    def dispatchers(self, area: Area) -> list:
        return services.nearest_dispatchers(self.by_path, area)

    def handlers(self, ticket: Ticket) -> list:
        if ticket.assignee_id:
            # On leave: the colleague who covers them hears instead (notifications, AB岗).
            return [ticket.assignee]
        if ticket.department_id:
            return self.departments.get(ticket.department_id, [])
        return []


def _params(ticket: Ticket, point: Point) -> dict:
    due = ticket.response_due if point.stage == "response" else ticket.completion_due
    params = {
        "code": ticket.short_code,
        "stage": point.stage,
        "due": due.isoformat() if due else "",
    }
    if point.action == "wish_unclaimed":
        params["days"] = wish_unclaimed_days()
    return params


# --- The sweep ----------------------------------------------------------------------------------


@dataclass
class Result:
    claimed: int = 0
    notifications: int = 0
    escalations: int = 0
    closed: int = 0


def _process(
    ticket: Ticket, now: dt.datetime, audience: Audience, result: Result, messages: list[Message]
) -> Ticket:
    """Act on the ticket's points in (checked_until, now]; returns the ticket as it now is."""
    lo = ticket.checked_until
    closed = False
    due = _due(ticket, lo, now)
    for index, point in enumerate(due):
        if _superseded(point, due[index + 1 :]):
            continue  # passed while no sweep ran: done, never sent (checked_until moves past it)
        if point.action == "reminder":
            people = (
                audience.handlers(ticket)
                if point.stage == "completion"
                else audience.dispatchers(ticket.area)
            )
            messages.append(
                Message(
                    NoticeKind.REMINDER,
                    people,
                    ticket,
                    point.level,
                    ticket.deadline_version,
                    _params(ticket, point),
                )
            )
        elif point.action == "overdue":
            people = audience.handlers(ticket) + audience.dispatchers(ticket.area)
            messages.append(
                Message(
                    NoticeKind.OVERDUE,
                    people,
                    ticket,
                    0,
                    ticket.deadline_version,
                    _params(ticket, point),
                )
            )
        elif point.action == "escalate":
            # The service re-reads and returns the whole row, as it now stands.
            ticket = services.escalate_overdue(ticket=ticket)
            result.escalations += 1
            people = (
                audience.handlers(ticket)
                if ticket.department_id
                else _dispatchers_now(ticket, audience)
            )
            messages.append(
                Message(
                    NoticeKind.ESCALATED,
                    people,
                    ticket,
                    ticket.escalation_level,
                    ticket.deadline_version,
                    _params(ticket, point),
                )
            )
            break  # the timeline changed: the next sweep continues from the new one
        elif point.action == "auto_close":
            closed = services.auto_close(ticket_id=ticket.pk, now=now)
            result.closed += closed
            break
        elif point.action == "wish_unclaimed":
            messages.append(
                Message(
                    NoticeKind.WISH_UNCLAIMED,
                    audience.dispatchers(ticket.area),
                    ticket,
                    0,
                    ticket.deadline_version,
                    _params(ticket, point),
                )
            )
    if closed:  # the close happened on another copy of the row
        ticket = Ticket.objects.select_related("matter", "area", "assignee").get(pk=ticket.pk)
    ticket.checked_until = now
    ticket.next_check_at = next_check(ticket, now)
    return ticket


def _due(ticket: Ticket, lo: dt.datetime | None, now: dt.datetime) -> list[Point]:
    """The ticket's points in (lo, now], in time order."""
    return [p for p in points(ticket) if p.at <= now and (lo is None or p.at > lo)]


# Notices about one deadline: after an outage only the latest that has passed still says
# something true ("80 % gone" is stale once the deadline itself has passed).
NOTICES = ("reminder", "overdue")


def _superseded(point: Point, later: list[Point]) -> bool:
    """Whether a later notice about the same deadline, before any transition, replaces it."""
    if point.action not in NOTICES:
        return False
    for after in later:
        if after.action in TRANSITIONS:
            return False  # the loop stops there: this notice is the last one sent
        if after.action in NOTICES and after.stage == point.stage:
            return True
    return False


def _dispatchers_now(ticket: Ticket, audience: Audience) -> list:
    people = audience.dispatchers(ticket.area)
    if not people:  # a level outside the batch's preload (the area above): read it now
        people = Audience([ticket]).dispatchers(ticket.area)
    return people


def _record(tickets: list[Ticket], now: dt.datetime) -> None:
    """Store each ticket's ``checked_until`` (now) and ``next_check_at`` in one statement.

    ``bulk_update`` builds a CASE per row and costs more than the rest of the batch; on
    PostgreSQL one UPDATE … FROM unnest() does the same work in a few milliseconds.
    """
    if connection.vendor != "postgresql":
        Ticket.objects.bulk_update(tickets, ["checked_until", "next_check_at"], batch_size=500)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket AS t SET checked_until = %s, next_check_at = u.next "
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS u(id, next) WHERE t.id = u.id",
            [now, [t.pk for t in tickets], [t.next_check_at for t in tickets]],
        )


# What the timeline and the messages read: loading only these halves a batch's cost. A
# transition on a claimed ticket (escalation, auto-close) re-reads the whole row itself.
SWEEP_FIELDS = (
    "short_code",
    "status",
    "area__path",
    "area__level",
    "matter__code",
    "matter__department_id",
    "matter__escalate_after_hours",
    "assignee",
    "department_id",
    "unit_id",
    "submitted_at",
    "response_due",
    "accepted_at",
    "completion_due",
    "resolved_at",
    "deadline_version",
    "escalation_level",
    "escalated_at",
    "checked_until",
    "next_check_at",
)


# Points that change the ticket itself (through a service, tens of milliseconds each).
TRANSITIONS = ("escalate", "auto_close")
# Tickets due for a transition are committed this many at a time: a person acting on one
# waits for at most these (well under the services' lock timeout), and the sweep does not
# pay a commit and an audience read for every single one.
MOVING_CHUNK = 10


def _claim(now: dt.datetime):
    return (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(next_check_at__lte=now)
        .select_related("matter", "area", "assignee")
        .only(*SWEEP_FIELDS)
        .order_by("next_check_at")
    )


def _moves(ticket: Ticket, now: dt.datetime) -> bool:
    """Whether a transition is among the ticket's points in (checked_until, now]."""
    lo = ticket.checked_until
    for point in points(ticket):
        if point.at > now:
            return False
        if (lo is None or point.at > lo) and point.action in TRANSITIONS:
            return True
    return False


def _sweep_moving(pks: list[int], now: dt.datetime, result: Result) -> None:
    """A few tickets due for a transition, in a transaction of their own; one another
    sweeper holds or has already done is skipped (still exactly once: the claim, the points,
    the notifications and ``checked_until`` commit together)."""
    with transaction.atomic():
        tickets = list(_claim(now).filter(pk__in=pks))
        if not tickets:
            return
        audience = Audience(tickets, now)
        messages: list[Message] = []
        done = [_process(ticket, now, audience, result, messages) for ticket in tickets]
        _record(done, now)
        result.notifications += notify_many(messages, now=now)


def sweep_batch(now: dt.datetime | None = None, batch: int = BATCH) -> Result:
    """Claim and process one batch of due tickets.

    Notices alone (a few hundred microseconds a ticket) are written in one transaction for
    the batch. A ticket due for a transition (escalation, auto-close) is released with it and
    then done in a transaction of its own: a batch of escalations would otherwise hold
    hundreds of ticket locks for many seconds, and every person acting on one of them would
    wait for the whole batch.
    """
    now = now or timezone.now()
    result = Result()
    with transaction.atomic():
        tickets = list(_claim(now)[:batch])
        if not tickets:
            return result
        moving = [ticket.pk for ticket in tickets if _moves(ticket, now)]
        later = set(moving)
        quick = [ticket for ticket in tickets if ticket.pk not in later]
        if quick:
            audience = Audience(quick, now)
            messages: list[Message] = []
            done = [_process(ticket, now, audience, result, messages) for ticket in quick]
            _record(done, now)
            result.notifications = notify_many(messages, now=now)
        # Every ticket claimed, moving or not: a full batch tells ``sweep`` to go on.
        result.claimed = len(tickets)
    for start in range(0, len(moving), MOVING_CHUNK):
        _sweep_moving(moving[start : start + MOVING_CHUNK], now, result)
    return result


# --- Summoned departments (co-handling) ---------------------------------------------------------
# A department summoned on a request that has not acknowledged (报到) hears reminders at the
# shares of its window, and at its limit the street's dispatchers and the officer who
# summoned it are told, once (``escalated_at``). The summons' own partial index is the way
# in; the keys carry the summons, so a replay writes nothing new; after an outage only the
# latest point that passed is acted on. A co-handler that acknowledged and misses its part's
# completion limit is told, with the lead department, once (the overdue notice, same keys).


def _summons_params(summons: Summons, stage: str = "acknowledge") -> dict:
    due = summons.completion_due if stage == "part" else summons.acknowledge_due
    return {
        "code": summons.ticket.short_code,
        "stage": stage,
        "department": summons.department.name,
        "due": due.isoformat(),
    }


def _together(*groups: list) -> list:
    """People of several departments, each once."""
    seen: dict[int, object] = {}
    for group in groups:
        for person in group:
            seen.setdefault(person.pk, person)
    return list(seen.values())


def sweep_summonses(now: dt.datetime | None = None, batch: int = BATCH) -> Result:
    """Claim and process one batch of summonses due for a reminder or their escalation."""
    now = now or timezone.now()
    result = Result()
    with transaction.atomic():
        summonses = list(
            Summons.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_check_at__lte=now)
            .select_related("ticket__area", "department", "summoned_by")
            .order_by("next_check_at")[:batch]
        )
        if not summonses:
            return result
        members: defaultdict[int, list] = defaultdict(list)
        departments = {s.department_id for s in summonses}
        departments |= {s.ticket.department_id for s in summonses if s.ticket.department_id}
        for row in Department.members.through.objects.filter(
            department_id__in=departments, user__is_active=True
        ).select_related("user"):
            members[row.department_id].append(row.user)
        streets = {s.ticket.area.path[:STREET_PATH_LENGTH] for s in summonses}
        by_path = services.dispatchers_by_path(
            {p for street in streets for p in ancestor_paths(street)}
        )
        messages: list[Message] = []
        for summons in summonses:
            lo = summons.checked_until
            due = [p for p in summons_points(summons) if p.at <= now and (lo is None or p.at > lo)]
            if due:
                point = due[-1]  # passed while no sweep ran: only the latest still says something
                if point.action == "overdue":  # the part's limit: the department and the lead
                    if summons.ticket.is_open:
                        messages.append(
                            Message(
                                NoticeKind.OVERDUE,
                                _together(
                                    members[summons.department_id],
                                    members[summons.ticket.department_id]
                                    if summons.ticket.department_id
                                    else [],
                                ),
                                summons.ticket,
                                0,
                                0,
                                _summons_params(summons, "part"),
                                robots=False,
                                extra_key=f"s{summons.pk}",
                            )
                        )
                elif point.action == "reminder":
                    messages.append(
                        Message(
                            NoticeKind.REMINDER,
                            members[summons.department_id],
                            summons.ticket,
                            point.level,
                            0,
                            _summons_params(summons),
                            robots=False,
                            extra_key=f"s{summons.pk}",
                        )
                    )
                else:  # the acknowledge limit: escalated to the street, once
                    summons.escalated_at = now
                    result.escalations += 1
                    street = Area(path=summons.ticket.area.path[:STREET_PATH_LENGTH])
                    people = list(services.nearest_dispatchers(by_path, street))
                    if summons.summoned_by is not None and summons.summoned_by not in people:
                        people.append(summons.summoned_by)
                    messages.append(
                        Message(
                            NoticeKind.SUMMONS_LATE,
                            people,
                            summons.ticket,
                            1,
                            0,
                            _summons_params(summons),
                            urgent=True,
                            extra_key=f"s{summons.pk}",
                        )
                    )
            summons.checked_until = now
            schedule_summons(summons)
        Summons.objects.bulk_update(
            summonses, ["checked_until", "next_check_at", "escalated_at"], batch_size=BATCH
        )
        result.notifications = notify_many(messages, now=now)
        result.claimed = len(summonses)
    return result


def sweep(
    now: dt.datetime | None = None, budget_seconds: float = 50.0, batch: int = BATCH
) -> SweepRun:
    """Batches until nothing is due or the budget is spent; records what it did."""
    started, clock = timezone.now(), time.monotonic()
    total = Result()
    while time.monotonic() - clock < budget_seconds:
        result = sweep_batch(now=now, batch=batch)
        for name in ("claimed", "notifications", "escalations", "closed"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if result.claimed < batch:
            break
    while time.monotonic() - clock < budget_seconds:
        result = sweep_summonses(now=now, batch=batch)
        for name in ("claimed", "notifications", "escalations"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if result.claimed < batch:
            break
    return SweepRun.objects.create(
        started_at=started,
        duration_ms=int((time.monotonic() - clock) * 1000),
        claimed=total.claimed,
        notifications=total.notifications,
        escalations=total.escalations,
        closed=total.closed,
    )


def oldest_due(now: dt.datetime | None = None) -> dt.datetime | None:
    """The earliest point (reminder, deadline, escalation) due and not yet swept, on a request
    or a summoned department: what the sweep claims next, by ``next_check_at`` alone (two
    probes of its partial indexes). /metrics and the soak report its age as the sweep's lag."""
    now = now or timezone.now()
    moments = [
        model.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("next_check_at", flat=True)
        .first()
        for model in (Ticket, Summons)
    ]
    due = [moment for moment in moments if moment is not None]
    return min(due) if due else None
