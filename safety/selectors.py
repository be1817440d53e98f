"""Which places are due for a safety patrol: read in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from safety.models import intervals
from visits.models import Place


def by_due(places: QuerySet, days: dict[str, int] | None = None) -> QuerySet:
    """The active places of ``places``, each with ``last_patrol`` (its latest safety patrol) and
    ``due_on`` (the local day the next one is due), never patrolled first, then by due date.

    A queryset, so that an area's list is read a page at a time: the due day is worked out in
    the database from each kind's interval rather than in Python over every place."""
    days = intervals() if days is None else days
    interval = Case(
        *[When(kind=kind, then=Value(dt.timedelta(days=n))) for kind, n in days.items()],
        default=Value(dt.timedelta(days=30)),
        output_field=DurationField(),
    )
    return (
        places.filter(active=True)
        .select_related("grid")
        .annotate(last_patrol=Max("safety_patrols__at"))
        .annotate(
            due_on=TruncDate(
                ExpressionWrapper(F("last_patrol") + interval, output_field=DateTimeField())
            )
        )
        .order_by(F("due_on").asc(nulls_first=True), "name", "pk")
    )


def overdue(places: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Of ``by_due(...)``, the places never patrolled or whose patrol is past due."""
    today = today or timezone.localdate()
    return places.filter(Q(due_on__isnull=True) | Q(due_on__lt=today))


def with_due(rows, days: dict[str, int], today: dt.date | None = None) -> list[Place]:
    """``rows`` of ``by_due(...)`` with ``overdue`` and ``interval`` set for the template."""
    today = today or timezone.localdate()
    rows = list(rows)
    for place in rows:
        place.overdue = place.due_on is None or place.due_on < today
        place.interval = days.get(place.kind, 30)
    return rows


def places_with_due(places, today: dt.date | None = None) -> list[Place]:
    """Every place of ``places`` due first, with ``last_patrol``, ``due_on`` and ``overdue``:
    for a worker's own grids, which stay few."""
    days = intervals()
    return with_due(by_due(places, days), days, today)


def under(paths: list[str]) -> Q:
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(grid__path__startswith=path)
    return query
