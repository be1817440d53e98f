"""Joint actions (联合执法 / 联合处置): who may record one, recording it, and what a page reads.

A joint action belongs to a street or a community (or the district): its officers, who summon
departments, record it (``TicketCapability.DISPATCH_TICKETS`` at the action's area, which is
never a grid). It links one or many requests the recorder sees in that area; each of them gets
a line on its timeline ("Joint action on <date> with <departments>"). The line is public: the
resident's tracking page lists it as an update at that moment (that page shows no note's text),
and staff read the date and departments; it names departments, never staff, and leaves the
outcome out (it may name people or enforcement details: it stays on the action's own page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.images import clean_photos
from grids.models import Area
from grids.policy import roles_holding
from grids.roles import COMMUNITY_LEVELS, Level
from grids.scope import active_posts, can
from tickets.models import Department, Event, JointAction, JointActionPhoto, Ticket
from tickets.policy import TicketCapability

MAX_PHOTOS = 6
MAX_TICKETS = 50
# Where joint actions are recorded: a district, a street (or town), a community (or village).
LEVELS = frozenset({Level.DISTRICT, Level.STREET, Level.TOWN, *COMMUNITY_LEVELS})


# --- Policy -------------------------------------------------------------------------------------


def may_record(user, area: Area) -> bool:
    """The officers who summon departments at ``area`` (a street's, a community's, the
    district's) record the joint actions held there."""
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and area.level in LEVELS
        and can(user, TicketCapability.DISPATCH_TICKETS, area)
    )


def record_area(user, area: Area) -> Area | None:
    """The nearest street, community or district over ``area`` (a request's) where ``user``
    records joint actions, or None. Read from the user's posts, which the request has read
    already: no query (a superuser's is one, for the community over ``area``)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        found = area if area.level in LEVELS else area.community()
        return found if found is not None and found.level in LEVELS else None
    holders = roles_holding(TicketCapability.DISPATCH_TICKETS)
    candidates = [
        post.area
        for post in active_posts(user)
        if post.role in holders
        and post.area.level in LEVELS
        and area.path.startswith(post.area.path)
    ]
    nearest = max(candidates, key=lambda found: len(found.path), default=None)
    return nearest if nearest is not None and may_record(user, nearest) else None


# --- Selectors ----------------------------------------------------------------------------------


def linkable_tickets(user, area: Area) -> QuerySet[Ticket]:
    """Requests ``user`` may link to a joint action at ``area``: those they see, in it."""
    return Ticket.objects.visible_to(user).filter(area__path__startswith=area.path)


def for_area(user, area: Area) -> QuerySet[JointAction]:
    """The joint actions held at ``area`` or below that ``user`` sees, newest first, with their
    departments and the number of their requests and photos (a page costs three queries)."""
    return (
        JointAction.objects.visible_to(user)
        .filter(area__path__startswith=area.path)
        .select_related("area")
        .annotate(ticket_count=Count("tickets", distinct=True))
        .prefetch_related(Prefetch("departments", queryset=Department.objects.order_by("code")))
        .order_by("-date", "-pk")
    )


def for_ticket(ticket: Ticket) -> list[JointAction]:
    """The joint actions a request belongs to, newest first (one query)."""
    return list(ticket.joint_actions.order_by("-date", "-pk").only("pk", "date", "place"))


# --- Services -----------------------------------------------------------------------------------


def timeline_note(date: dt.date, departments: Iterable[Department]) -> str:
    return _("Joint action on %(date)s with %(departments)s") % {
        "date": date_format(date, "DATE_FORMAT"),
        "departments": _(", ").join(department.name for department in departments),
    }


@transaction.atomic
def record(
    *,
    by,
    area: Area,
    date: dt.date,
    place: str,
    departments: Iterable[Department],
    outcome: str,
    tickets: Iterable[Ticket],
    photos: Iterable[File] = (),
    now: dt.datetime | None = None,
) -> JointAction:
    """Record a joint action at ``area`` and note it on each linked request's timeline.

    The recorder must record joint actions there (``may_record``); the requests must be ones
    they see, in the area; at least one department and one request; the date not in the future.
    """
    now = now or timezone.now()
    if not may_record(by, area):
        raise PermissionDenied(_("You do not record joint actions in this area."))
    departments = sorted(set(departments), key=lambda department: department.code)
    tickets = list({ticket.pk: ticket for ticket in tickets}.values())
    errors: dict[str, str] = {}
    if not departments:
        errors["departments"] = _("Choose the departments that took part.")
    elif any(not department.active for department in departments):
        errors["departments"] = _("A department that is no longer active cannot take part.")
    if not tickets:
        errors["tickets"] = _("Link at least one request.")
    elif len(tickets) > MAX_TICKETS:
        errors["tickets"] = _("Link at most %(n)d requests.") % {"n": MAX_TICKETS}
    else:
        # Read now, with each one's status as it stands (the objects passed may be older).
        allowed = dict(
            linkable_tickets(by, area)
            .filter(pk__in=[ticket.pk for ticket in tickets])
            .values_list("pk", "status")
        )
        outside = [ticket.short_code for ticket in tickets if ticket.pk not in allowed]
        if outside:
            errors["tickets"] = _("Not a request of %(area)s: %(codes)s") % {
                "area": area.name,
                "codes": ", ".join(outside),
            }
    if date > timezone.localdate(now):
        errors["date"] = _("A joint action is recorded once it has taken place.")
    if errors:
        raise ValidationError(errors)
    cleaned = clean_photos(list(photos), max_count=MAX_PHOTOS)
    action = JointAction(
        area=area, date=date, place=place, outcome=outcome, recorded_by=by, created_at=now
    )
    action.full_clean()
    action.save()
    action.departments.set(departments)
    action.tickets.set(tickets)
    for image in cleaned:
        JointActionPhoto.objects.create(action=action, image=image)
    # The audit log writes the action and its departments and requests (tickets/apps.py); in
    # a request its middleware names the actor, elsewhere (a command, the demo) the recorder.
    if by is not None:
        LogEntry.objects.get_for_object(action).filter(actor__isnull=True).update(actor=by)
    note = timeline_note(date, departments)
    Event.objects.bulk_create(
        Event(
            ticket=ticket,
            at=now,
            action=Event.Action.NOTE,
            actor=by,
            from_status=allowed[ticket.pk],
            to_status=allowed[ticket.pk],
            note=note,
            public=True,
        )
        for ticket in tickets
    )
    return action
