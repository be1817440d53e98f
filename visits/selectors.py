"""Reads about visits: which households are due, and the visit coverage of an area."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from grids.models import Resident, ResidentCare
from visits.models import Visit


def coverage_by_grid(households, today: dt.date) -> dict[int, dict[str, int]]:
    """{grid id: total, visited30, visited90, overdue, overdue_care} for the households of a
    queryset: the visit coverage the supervision report and the dashboards show (two grouped
    queries whatever the number of grids)."""
    since30 = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=30), dt.time.min))
    since90 = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=90), dt.time.min))
    grids = {
        row["grid"]: row
        for row in households.values("grid").annotate(
            total=Count("pk"),
            visited30=Count("pk", filter=Q(last_visited_at__gte=since30)),
            visited90=Count("pk", filter=Q(last_visited_at__gte=since90)),
            overdue=Count("pk", filter=Q(visit_due_on__lt=today)),
        )
    }
    in_care = ResidentCare.objects.filter(
        resident__household=OuterRef("pk"), resident__status=Resident.Status.LIVING
    )
    care = (
        households.filter(Exists(in_care), visit_due_on__lt=today)
        .values("grid")
        .annotate(n=Count("pk"))
        .values_list("grid", "n")
    )
    for row in grids.values():
        row["overdue_care"] = 0
    for grid, n in care:
        grids[grid]["overdue_care"] = n
    return grids


def due_filter(view: str, today: dt.date | None = None) -> dict:
    """Household filters for the worker's "due" views."""
    today = today or timezone.localdate()
    week_end = today + dt.timedelta(days=6 - today.weekday())
    return {
        "overdue": {"visit_due_on__lt": today},
        "today": {"visit_due_on__lte": today},
        "week": {"visit_due_on__lte": week_end},
    }.get(view, {})


def household_visits(user, household):
    """The household's latest visits (a panel of the household's page, which already checked
    that the user may see the household)."""
    latest = Visit.objects.filter(household=household).select_related("by")
    return latest.order_by("-visited_at")[:10]
