"""Which places are due for a safety patrol: read in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q
from django.utils import timezone

from safety.models import intervals
from visits.models import Place


def places_with_due(places, today: dt.date | None = None) -> list[Place]:
    """The active places of ``places`` (a queryset), each with ``last_patrol`` (its latest
    safety patrol), ``due_on`` and ``overdue``: never patrolled first, then by due date."""
    today = today or timezone.localdate()
    days = intervals()
    rows = list(
        places.filter(active=True)
        .select_related("grid")
        .annotate(last_patrol=Max("safety_patrols__at"))
        .order_by("grid__path", "name")
    )
    for place in rows:
        if place.last_patrol is None:
            place.due_on = None
        else:
            place.due_on = timezone.localdate(place.last_patrol) + dt.timedelta(
                days=days.get(place.kind, 30)
            )
        place.overdue = place.due_on is None or place.due_on < today
        place.interval = days.get(place.kind, 30)
    return sorted(rows, key=lambda p: (p.due_on is not None, p.due_on or today, p.name))


def under(paths: list[str]) -> Q:
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(grid__path__startswith=path)
    return query
