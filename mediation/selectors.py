"""Reads of the mediation pages: the month's rolling screening (滚动排查) of an area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from core.figures import period_bounds
from grids.models import Area, Household
from mediation.models import Case, Status
from visits.models import Visit


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return first, last


@dataclass
class Screening:
    area: Area
    first: dt.date
    last: dt.date
    cases: list[Case]
    overdue: list[Case]
    households: list[tuple[Household, dt.datetime]]


def screening(area: Area, month: dt.date, today: dt.date | None = None) -> Screening:
    """Cases open at some time in the month, closed cases whose follow-up visit is overdue,
    and households whose latest visit in the month carried the "dispute" quick pick; four
    queries whatever the size of the area."""
    today = today or timezone.localdate()
    first, last = month_bounds(month)
    start, end = period_bounds(first, last)
    under = Case.objects.filter(grid__path__startswith=area.path).select_related(
        "grid", "household", "mediator", "studio"
    )
    cases = list(
        under.filter(opened_at__lt=end)
        .filter(~Q(status=Status.CLOSED) | Q(closed_at__gte=start))
        .order_by("grid__path", "-risk", "opened_at")
    )
    overdue = list(under.follow_up_overdue(min(today, last + dt.timedelta(days=1))))
    latest: dict[int, tuple[list, dt.datetime]] = {}
    rows = (
        Visit.objects.filter(
            grid__path__startswith=area.path,
            household__isnull=False,
            visited_at__gte=start,
            visited_at__lt=end,
        )
        .order_by("household_id", "-visited_at", "-pk")
        .values_list("household_id", "tags", "visited_at")
    )
    for household_id, tags, visited_at in rows:
        latest.setdefault(household_id, (tags or [], visited_at))
    tagged = {pk: when for pk, (tags, when) in latest.items() if "dispute" in tags}
    households = (
        Household.objects.filter(pk__in=tagged)
        .select_related("grid")
        .order_by("grid__path", "address")
    )
    return Screening(
        area=area,
        first=first,
        last=last,
        cases=cases,
        overdue=overdue,
        households=[(h, tagged[h.pk]) for h in households],
    )
