"""The shape in which an app hands its figures to the district's dashboards.

Mediation, safety patrols, deliberation and 红色物业 each count their own work; the dashboards
app (above them all) shows the figures side by side, for an area and each area under it, each
with the definition a reader needs to trust it. An app lists its figures once, as
``DEFINITIONS``, and answers ``figures(areas, first, last)`` in a fixed number of grouped
queries, whatever the number of areas (``sum_under`` helps with the grouping).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    COUNT = "count", _("count")
    SHARE = "share", _("share")  # 0..1, shown as a percentage
    AVERAGE = "average", _("average")


@dataclass(frozen=True)
class Definition:
    key: str
    label: str  # a lazy translation
    definition: str  # a lazy translation: what is counted, over which period, from what
    unit: str = Unit.COUNT


Figures = dict[int, dict[str, float | int | None]]


def sum_under(areas: Sequence, counts: Iterable[tuple[str, str, int]]) -> Figures:
    """Sum grouped counts onto the areas above them: ``counts`` holds (path, key, n) rows,
    one per grid (or any area) and figure, as one ``values(...).annotate(Count)`` query
    returns them; each of ``areas`` gets the sum of the rows at or under its path."""
    result: Figures = {area.pk: {} for area in areas}
    by_path = {area.path: area.pk for area in areas}
    lengths = sorted({len(path) for path in by_path})
    for path, key, n in counts:
        for length in lengths:
            pk = by_path.get(path[:length])
            if pk is not None:
                bucket = result[pk]
                bucket[key] = (bucket.get(key) or 0) + (n or 0)
    return result


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None (shown as "–") when there is nothing to divide by."""
    return (part or 0) / whole if whole else None


def period_bounds(first: dt.date, last: dt.date):
    """Aware datetimes [start of ``first``, start of the day after ``last``)."""
    from django.utils import timezone

    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    return start, end
