"""Keeping ``AreaDay`` and ``AreaMix`` right: a day is recomputed whole from the raw rows of
that day, counted where each request, visit, activity or account lives and summed into every
area above, so that a page reads a handful of rows (an area and its children, per day)
instead of every grid's.

- ``rebuild(first, last)`` recomputes a range of days (the ``rebuild_rollups`` command).
- ``refresh()`` is the incremental job (Celery beat, every few minutes, and the
  ``refresh_rollups`` command). It reads the request timeline (``tickets.Event``), the
  visits, station activities and points entries past their watermarks and recomputes the
  days they touch: the day a changed request was submitted (its cohort's figures moved),
  the day of a new visit, activity or entry, every day that still has open requests (they
  become overdue with no event), and today. An activity edited after the fact moves no
  watermark; the nightly ``rebuild_rollups --days 35`` catches it.

Each recomputation is one transaction that replaces its days' rows: a rerun changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.bulkload import load_rows
from dashboards.models import (
    COMPLETION_HOURS,
    COUNTS,
    RESPONSE_HOURS,
    AreaDay,
    AreaMix,
    RollupState,
)
from grids.models import Area
from points.models import Entry, Scheme
from stations.models import Activity
from tickets.models import OPEN_STATUSES, WISH_MATTER, Event, Status, Ticket
from visits.models import Visit

Rows = dict[tuple[dt.date, int], dict[str, int]]
# (day, area, channel, category): {"received": n, "resolved": n}
Mix = dict[tuple[dt.date, int, str, int], dict[str, int]]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _within(start: str, moment: str, bounds: tuple[int, ...]) -> dict[str, Q]:
    """``{n: the moment fell in bucket n}``: at most ``bounds[n-1]`` hours after ``start``
    and more than the bound before (the last bucket: more than the last bound)."""
    found = {}
    for n in range(1, len(bounds) + 2):
        q = Q(**{f"{moment}__isnull": False})
        if n <= len(bounds):
            q &= Q(**{f"{moment}__lte": F(start) + dt.timedelta(hours=bounds[n - 1])})
        if n > 1:
            q &= Q(**{f"{moment}__gt": F(start) + dt.timedelta(hours=bounds[n - 2])})
        found[n] = q
    return found


def _ticket_counts(now: dt.datetime) -> dict[str, Count]:
    """The ``AreaDay`` request figures of a group of requests, as aggregates."""
    opened = Q(status__in=OPEN_STATUSES)
    late = Q(accepted_at__isnull=True, response_due__lt=now) | Q(
        completion_due__isnull=False, resolved_at__isnull=True, completion_due__lt=now
    )
    wish = Q(matter__code=WISH_MATTER)
    resolved = Q(resolved_at__isnull=False)
    counts = {
        "received": Q(),
        "wishes": wish,
        "wishes_fulfilled": wish & resolved,
        "rejected": Q(status=Status.REJECTED),
        "responded": Q(accepted_at__isnull=False),
        "resolved": resolved,
        "resolved_on_time": resolved
        & (Q(completion_due__isnull=True) | Q(resolved_at__lte=F("completion_due"))),
        "rated": Q(rating__isnull=False),
        "satisfied": Q(rating__gte=4),
        "escalated": Q(escalation_level__gt=0),
        "open_now": opened,
        "overdue_now": opened & late & ~Q(status=Status.SUSPENDED),
        "acknowledged_now": opened & Q(escalation_level__gt=0, acknowledged_at__isnull=False),
    }
    for n, q in _within("submitted_at", "accepted_at", RESPONSE_HOURS).items():
        counts[f"response_{n}"] = q
    for n, q in _within("submitted_at", "resolved_at", COMPLETION_HOURS).items():
        counts[f"completion_{n}"] = q
    return {name: Count("pk", filter=q) if q else Count("pk") for name, q in counts.items()}


def figures_of_days(first: dt.date, last: dt.date, now: dt.datetime | None = None) -> Rows:
    """{(day, area id): counts} for ``first``…``last``, straight from the raw rows."""
    return figures_and_mix(first, last, now)[0]


def figures_and_mix(
    first: dt.date, last: dt.date, now: dt.datetime | None = None
) -> tuple[Rows, Mix]:
    """The ``AreaDay`` and ``AreaMix`` contents for ``first``…``last``, straight from the raw
    rows (five queries, whatever the number of days)."""
    now = now or timezone.now()
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    rows: defaultdict[tuple, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    mix: defaultdict[tuple, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Counted in the database, a group per day and area: a two-year rebuild at district
    # scale reads two million requests, and turning each into Python objects cost ten times
    # the counting itself.
    tickets = (
        Ticket.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .exclude(status=Status.MERGED)
        .annotate(d=TruncDate("submitted_at"))
        .order_by()
    )
    for found in tickets.values("d", "area_id").annotate(**_ticket_counts(now)):
        row = rows[(found.pop("d"), found.pop("area_id"))]
        for key, n in found.items():
            if n:
                row[key] += n
    for day, area, channel, category, received, resolved in tickets.values_list(
        "d", "area_id", "channel", "matter__category_id"
    ).annotate(received=Count("pk"), resolved=Count("pk", filter=Q(resolved_at__isnull=False))):
        split = mix[(day, area, channel, category)]
        split["received"] += received
        if resolved:
            split["resolved"] += resolved
    visits = (
        Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
        .annotate(d=TruncDate("visited_at"))
        .values_list("d", "grid_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for day, grid, n in visits:
        rows[(day, grid)]["visits"] += n
    activities = (
        Activity.objects.filter(held_on__range=(first, last))
        .values_list("held_on", "station__area_id")
        .annotate(n=Count("pk"), people=Sum("attendance"))
        .order_by()
    )
    for day, area, n, people in activities:
        rows[(day, area)]["activities"] += n
        rows[(day, area)]["attendance"] += people or 0
    entries = (
        Entry.objects.filter(
            posted_at__gte=start, posted_at__lt=end, kind__in=[Entry.Kind.EARN, Entry.Kind.REDEEM]
        )
        .annotate(
            d=TruncDate("posted_at"),
            area=F("account__community_id"),
            audience=F("account__scheme__audience"),
        )
        .values_list("d", "area", "kind", "audience")
        .annotate(points=Sum("amount"))
        .order_by()
    )
    for day, area, kind, audience, points in entries:
        name, points = ("issued", points) if kind == Entry.Kind.EARN else ("redeemed", -points)
        rows[(day, area)][f"points_{name}"] += points
        if audience == Scheme.Audience.RESIDENTS:
            rows[(day, area)][f"points_{name}_residents"] += points
    return {key: dict(counts) for key, counts in rows.items()}, {
        key: dict(counts) for key, counts in mix.items()
    }


def ancestors_of() -> dict[int, list[int]]:
    """{area id: the ids of the area and every area above it} (one query)."""
    paths = dict(Area.objects.values_list("pk", "path"))
    by_path = {path: pk for pk, path in paths.items()}
    step = Area.steplen
    return {
        pk: [by_path[path[:n]] for n in range(step, len(path) + 1, step)]
        for pk, path in paths.items()
    }


def roll_up(rows: dict[tuple, dict[str, int]], up: dict[int, list[int]]) -> dict:
    """Leaf rows (keyed ``(day, area, …)``) summed into every area above them, the area
    itself included: a page reads an area's total from its own rows, never the rows below."""
    totals: defaultdict[tuple, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, area, *rest), counts in rows.items():
        for target in up.get(area, [area]):
            total = totals[(day, target, *rest)]
            for key, value in counts.items():
                total[key] += value
    return {key: dict(counts) for key, counts in totals.items()}


@transaction.atomic
def recompute(
    first: dt.date,
    last: dt.date,
    now: dt.datetime | None = None,
    up: dict[int, list[int]] | None = None,
) -> int:
    """Replace the rows of ``first``…``last`` with what the raw rows say now, at every level;
    returns how many rows were written."""
    now = now or timezone.now()
    up = up if up is not None else ancestors_of()
    leaves, leaf_mix = figures_and_mix(first, last, now)
    figures, mix = roll_up(leaves, up), roll_up(leaf_mix, up)
    AreaDay.objects.filter(day__range=(first, last)).delete()
    # COPY, not bulk_create: a two-year rebuild at district scale writes millions of rows.
    load_rows(
        AreaDay,
        ["area", "day", "computed_at", *COUNTS],
        ((area, day, now, *(c.get(k, 0) for k in COUNTS)) for (day, area), c in figures.items()),
    )
    AreaMix.objects.filter(day__range=(first, last)).delete()
    load_rows(
        AreaMix,
        ["area", "day", "channel", "category", "received", "resolved"],
        (
            (area, day, channel, category, c.get("received", 0), c.get("resolved", 0))
            for (day, area, channel, category), c in mix.items()
        ),
    )
    return len(figures)


def rebuild(first: dt.date, last: dt.date, chunk_days: int = 31) -> int:
    """Recompute every day from ``first`` to ``last`` a month at a time; returns the days."""
    now = timezone.now()
    up = ancestors_of()
    day = first
    while day <= last:
        end = min(day + dt.timedelta(days=chunk_days - 1), last)
        recompute(day, end, now, up)
        day = end + dt.timedelta(days=1)
    remember_refresh(now)
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


def _new_rows(model, mark: int, when: str) -> tuple[int | None, set[dt.date]]:
    """The last id of the rows past ``mark`` and the local days (``when``: a date or a
    moment) they fall on."""
    rows = model.objects.filter(pk__gt=mark)
    last = rows.order_by("-pk").values_list("pk", flat=True).first()
    if last is None:
        return None, set()
    found = rows.filter(pk__lte=last).values_list(when, flat=True)
    return last, {at if type(at) is dt.date else _local_day(at) for at in found}


def dirty_days(state: RollupState, now: dt.datetime) -> tuple[set[dt.date], dict[str, int]]:
    """The days to recompute since the watermarks, and the new watermarks."""
    days = {_local_day(now)}
    events = Event.objects.filter(pk__gt=state.last_event_id)
    last_event = events.order_by("-pk").values_list("pk", flat=True).first()
    if last_event is not None:
        changed = Ticket.objects.filter(
            pk__in=events.filter(pk__lte=last_event).values("ticket_id")
        )
        days |= set(_days_of(changed))
    last_visit, visit_days = _new_rows(Visit, state.last_visit_id, "visited_at")
    last_activity, activity_days = _new_rows(Activity, state.last_activity_id, "held_on")
    last_entry, entry_days = _new_rows(Entry, state.last_entry_id, "posted_at")
    days |= visit_days | activity_days | entry_days
    # Open requests turn overdue without an event: their days are always recounted.
    days |= set(_days_of(Ticket.objects.filter(status__in=OPEN_STATUSES)))
    marks = {
        "last_event_id": last_event or state.last_event_id,
        "last_visit_id": last_visit or state.last_visit_id,
        "last_activity_id": last_activity or state.last_activity_id,
        "last_entry_id": last_entry or state.last_entry_id,
    }
    return days, marks


# Where each watermark of ``RollupState`` reads from.
SOURCES = {
    "last_event_id": Event,
    "last_visit_id": Visit,
    "last_activity_id": Activity,
    "last_entry_id": Entry,
}


def caught_up(now: dt.datetime) -> None:
    """After a rebuild of everything (demo, benchmark data): the watermarks at the end of
    each source, so the first refresh only recounts today and the open requests' days."""
    marks = {
        name: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for name, model in SOURCES.items()
    }
    RollupState.objects.update_or_create(name="main", defaults={**marks, "refreshed_at": now})
    remember_refresh(now)


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
        days, marks = dirty_days(state, now)
        up = ancestors_of()
        for day in sorted(days):
            recompute(day, day, now, up)
        for name, value in marks.items():
            setattr(state, name, value)
        state.refreshed_at = now
        state.save()
    remember_refresh(now)
    return len(days)
