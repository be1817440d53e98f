"""A ticket's timeline of deadline work: the points where the sweep must act (a reminder at
50% or 80% of the allowed time, the deadline, the next escalation, the end of the review
period, an unclaimed micro-wish), and ``schedule``, which every transition calls to set the
ticket's ``next_check_at``. The services and the sweep (tickets/sweep.py) both read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from grids.roles import Level
from tickets.models import (
    ACTIVE_STATUSES,
    WISH_MATTER,
    Status,
    Summons,
    SummonsRole,
    SummonsState,
    Ticket,
)

# A resolved request the resident never rated closes as satisfied after this many days.
AUTO_CLOSE_DAYS = settings.TICKET_AUTO_CLOSE_DAYS


def reminder_shares() -> tuple[int, ...]:
    return settings.REMINDER_SHARES


def wish_unclaimed_days() -> int:
    return settings.WISH_UNCLAIMED_DAYS


@dataclass(frozen=True)
class Point:
    at: dt.datetime
    action: str  # reminder, overdue, escalate, auto_close, wish_unclaimed
    level: int = 0
    stage: str = ""


def points(ticket: Ticket) -> list[Point]:
    """Every point on the ticket's current timeline, in time order."""
    found: list[Point] = []
    stage = None
    if ticket.status == Status.SUBMITTED:
        stage = ("response", ticket.submitted_at, ticket.response_due)
    elif ticket.status in ACTIVE_STATUSES and ticket.completion_due and ticket.accepted_at:
        # After 报到 the completion clock restarts (see ``services.acknowledge``).
        start = max(ticket.accepted_at, ticket.acknowledged_at or ticket.accepted_at)
        stage = ("completion", start, ticket.completion_due)
    if stage is not None:
        name, start, due = stage
        allowed = due - start
        for share in reminder_shares():
            found.append(Point(start + allowed * share / 100, "reminder", share, name))
        found.append(Point(due, "overdue", 0, name))
        escalate_at = _next_escalation(ticket, due)
        if escalate_at is not None:
            found.append(Point(escalate_at, "escalate", ticket.escalation_level + 1, name))
    if ticket.status == Status.RESOLVED and ticket.resolved_at:
        found.append(Point(ticket.resolved_at + dt.timedelta(days=AUTO_CLOSE_DAYS), "auto_close"))
    if (
        ticket.status == Status.ACCEPTED
        and ticket.matter.code == WISH_MATTER
        and not (ticket.assignee_id or ticket.department_id or ticket.unit_id)
        and ticket.accepted_at
    ):
        found.append(
            Point(ticket.accepted_at + dt.timedelta(days=wish_unclaimed_days()), "wish_unclaimed")
        )
    return sorted(found, key=lambda p: p.at)


def _next_escalation(ticket: Ticket, due: dt.datetime) -> dt.datetime | None:
    """The 吹哨 ladder: grid → community at the deadline, then a level up every period, to
    the owning department (or the district) at the top."""
    if ticket.matter.code == WISH_MATTER or ticket.department_id:
        return None
    level = ticket.area.level
    if level == Level.DISTRICT:
        return None
    if level in (Level.GRID, Level.MICRO_GRID):
        return due
    base = max(due, ticket.escalated_at or due)
    return base + dt.timedelta(hours=ticket.matter.escalate_after_hours)


def next_check(ticket: Ticket, after: dt.datetime | None) -> dt.datetime | None:
    """The first point after ``after`` (None: after nothing yet)."""
    for point in points(ticket):
        if after is None or point.at > after:
            return point.at
    return None


def schedule(ticket: Ticket) -> None:
    """Set ``next_check_at`` after the ticket changed (called by every transition)."""
    ticket.next_check_at = next_check(ticket, ticket.checked_until)


# --- A summoned department's timeline (co-handling) ---------------------------------------------


def summons_points(summons: Summons) -> list[Point]:
    """While a department has not acknowledged (报到): reminders at the shares of its window,
    then, at its acknowledge limit, one escalation to the street. Once a co-handler has
    acknowledged: at its part's completion limit, one overdue notice (the lead's part is the
    request's, whose own timeline tells). Nothing after that."""
    if summons.state == SummonsState.ACKNOWLEDGED and summons.role == SummonsRole.CO:
        return [Point(summons.completion_due, "overdue", 0, "part")]
    if summons.state != SummonsState.SUMMONED or summons.escalated_at is not None:
        return []
    start, due = summons.summoned_at, summons.acknowledge_due
    allowed = due - start
    found = [
        Point(start + allowed * share / 100, "reminder", share, "acknowledge")
        for share in reminder_shares()
    ]
    found.append(Point(due, "escalate", 1, "acknowledge"))
    return sorted(found, key=lambda p: p.at)


def schedule_summons(summons: Summons) -> None:
    """Set the summons' ``next_check_at`` after it changed."""
    after = summons.checked_until
    summons.next_check_at = next(
        (p.at for p in summons_points(summons) if after is None or p.at > after), None
    )
