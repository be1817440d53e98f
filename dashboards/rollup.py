"""Keeping ``AreaDay`` right: a day is recomputed whole from the raw rows of that day.

- ``rebuild(first, last)`` recomputes a range of days (the ``rebuild_rollups`` command).
- ``refresh()`` is the incremental job (Celery beat, every few minutes, and the
  ``refresh_rollups`` command). It reads the request timeline (``tickets.Event``) and the
  visits past its watermark and recomputes the days they touch: the day a changed request
  was submitted (its cohort's figures moved), the day of a new visit, every day that still
  has open requests (they become overdue with no event), and today.

Each recomputation is one transaction that replaces its days' rows: a rerun changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from dashboards.models import COMPLETION_HOURS, COUNTS, RESPONSE_HOURS, AreaDay, RollupState
from grids.models import Visit
from tickets.models import OPEN_STATUSES, Event, Status, Ticket


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _bucket(hours: float, bounds: tuple[int, ...]) -> int:
    for n, bound in enumerate(bounds, start=1):
        if hours <= bound:
            return n
    return len(bounds) + 1


def figures_of_days(
    first: dt.date, last: dt.date, now: dt.datetime | None = None
) -> dict[tuple[dt.date, int], dict[str, int]]:
    """{(day, area id): counts} for ``first``…``last``, straight from the raw rows (two
    queries, whatever the number of days)."""
    now = now or timezone.now()
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    rows: defaultdict[tuple, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    tickets = (
        Ticket.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .exclude(status=Status.MERGED)
        .values_list(
            "area_id",
            "status",
            "submitted_at",
            "response_due",
            "accepted_at",
            "completion_due",
            "resolved_at",
            "rating",
            "escalation_level",
            "acknowledged_at",
        )
    )
    for (
        area,
        status,
        submitted,
        response_due,
        accepted,
        due,
        resolved,
        rating,
        level,
        ack,
    ) in tickets.iterator(chunk_size=5000):
        row = rows[(_local_day(submitted), area)]
        row["received"] += 1
        if status == Status.REJECTED:
            row["rejected"] += 1
        if accepted is not None:
            row["responded"] += 1
            hours = (accepted - submitted).total_seconds() / 3600
            row[f"response_{_bucket(hours, RESPONSE_HOURS)}"] += 1
        if resolved is not None:
            row["resolved"] += 1
            if due is None or resolved <= due:
                row["resolved_on_time"] += 1
            hours = (resolved - submitted).total_seconds() / 3600
            row[f"completion_{_bucket(hours, COMPLETION_HOURS)}"] += 1
        if rating is not None:
            row["rated"] += 1
            if rating >= 4:
                row["satisfied"] += 1
        if level:
            row["escalated"] += 1
        if status in OPEN_STATUSES:
            row["open_now"] += 1
            late = (accepted is None and response_due < now) or (
                due is not None and resolved is None and due < now
            )
            if late and status != Status.SUSPENDED:
                row["overdue_now"] += 1
            if level and ack is not None:
                row["acknowledged_now"] += 1
    visits = (
        Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
        .annotate(d=TruncDate("visited_at"))
        .values_list("d", "grid_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for day, grid, n in visits:
        rows[(day, grid)]["visits"] += n
    return {key: dict(counts) for key, counts in rows.items()}


@transaction.atomic
def recompute(first: dt.date, last: dt.date, now: dt.datetime | None = None) -> int:
    """Replace the rows of ``first``…``last`` with what the raw rows say now; returns how
    many rows were written."""
    now = now or timezone.now()
    figures = figures_of_days(first, last, now)
    AreaDay.objects.filter(day__range=(first, last)).delete()
    AreaDay.objects.bulk_create(
        [
            AreaDay(area_id=area, day=day, computed_at=now, **{k: c.get(k, 0) for k in COUNTS})
            for (day, area), c in figures.items()
        ],
        batch_size=2000,
    )
    return len(figures)


def rebuild(first: dt.date, last: dt.date, chunk_days: int = 31) -> int:
    """Recompute every day from ``first`` to ``last`` a month at a time; returns the days."""
    now = timezone.now()
    day = first
    while day <= last:
        end = min(day + dt.timedelta(days=chunk_days - 1), last)
        recompute(day, end, now)
        day = end + dt.timedelta(days=1)
    return (last - first).days + 1


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _days_of(tickets):
    """The distinct local days the tickets were submitted on (counted in the database)."""
    return (
        tickets.annotate(d=TruncDate("submitted_at"))
        .values_list("d", flat=True)
        .order_by()
        .distinct()
    )


def dirty_days(state: RollupState, now: dt.datetime) -> tuple[set[dt.date], int, int]:
    """The days to recompute since the watermark, and the new watermarks."""
    days = {_local_day(now)}
    events = Event.objects.filter(pk__gt=state.last_event_id)
    last_event = events.order_by("-pk").values_list("pk", flat=True).first()
    if last_event is not None:
        changed = Ticket.objects.filter(
            pk__in=events.filter(pk__lte=last_event).values("ticket_id")
        )
        days |= set(_days_of(changed))
    visits = Visit.objects.filter(pk__gt=state.last_visit_id)
    last_visit = visits.order_by("-pk").values_list("pk", flat=True).first()
    if last_visit is not None:
        days |= {
            _local_day(at)
            for at in visits.filter(pk__lte=last_visit).values_list("visited_at", flat=True)
        }
    # Open requests turn overdue without an event: their days are always recounted.
    days |= set(_days_of(Ticket.objects.filter(status__in=OPEN_STATUSES)))
    return days, last_event or state.last_event_id, last_visit or state.last_visit_id


REFRESHED_KEY = "dashboards:refreshed_at"


def remember_refresh(now: dt.datetime) -> None:
    """Pages show "figures as of" from the cache, without a query."""
    cache.set(REFRESHED_KEY, now, timeout=None)


def refresh(now: dt.datetime | None = None) -> int:
    """The incremental job; returns how many days it recomputed. Concurrent runs queue on
    the state row, so a day is never recomputed from a stale watermark."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _created = RollupState.objects.select_for_update().get_or_create(name="main")
        days, last_event, last_visit = dirty_days(state, now)
        for day in sorted(days):
            recompute(day, day, now)
        state.last_event_id, state.last_visit_id, state.refreshed_at = last_event, last_visit, now
        state.save()
    remember_refresh(now)
    return len(days)
