"""A month's figures for every scored worker of an area, in a fixed handful of grouped queries
(never one per worker): the posts, the visits, the households still due, the care households'
due dates, the field reports, the requests handled, and the service points earned."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, F, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from appraisal.models import SCORED_ROLES, Figure, next_month
from grids.models import Area, Household, Post, Resident, ResidentCare
from points.models import Entry
from tickets.models import Channel, Ticket
from visits.models import Visit, VisitKind


@dataclass
class WorkerMonth:
    worker_id: int
    area: Area
    role: str
    figures: dict[str, object] = field(default_factory=dict)
    # [{"pk", "number", "address", "due"}] households still due at the month's end.
    overdue: list[dict] = field(default_factory=list)
    # [{"pk", "number", "address", "due"}] care households not visited by their due date.
    care_late: list[dict] = field(default_factory=list)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(next_month(month), dt.time.min, tzinfo=tz)


def month_figures(*, area: Area, month: dt.date) -> dict[int, WorkerMonth]:
    """{worker id: their month}, for the workers holding a scored post under ``area`` at any
    time in the month (a worker with two posts is scored once, at the first)."""
    start, end = month_bounds(month)
    last_day = next_month(month) - dt.timedelta(days=1)
    # The month so far: what falls due after today is not yet missed.
    due_by = min(last_day, timezone.localdate())
    posts = (
        Post.objects.filter(role__in=SCORED_ROLES, area__path__startswith=area.path)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=month), started_on__lte=last_day)
        .select_related("area")
        .order_by("user_id", "started_on", "pk")
    )
    months: dict[int, WorkerMonth] = {}
    for post in posts:
        months.setdefault(post.user_id, WorkerMonth(post.user_id, post.area, post.role))
    if not months:
        return {}
    ids = list(months)

    visited = {
        row["by"]: row
        for row in Visit.objects.filter(by__in=ids, visited_at__gte=start, visited_at__lt=end)
        .values("by")
        .annotate(
            households=Count("household", distinct=True),
            care=Count("pk", filter=Q(kind=VisitKind.CARE)),
        )
    }

    # Households of the workers' areas still due at the month's end, not visited in it.
    area_ids = {m.area.pk for m in months.values()}
    overdue_by_area: defaultdict[int, list[dict]] = defaultdict(list)
    for row in (
        Household.objects.filter(Q(grid__in=area_ids) | Q(micro_grid__in=area_ids))
        .filter(visit_due_on__lte=due_by)
        .exclude(visits__visited_at__gte=start, visits__visited_at__lt=end)
        .order_by("visit_due_on", "pk")
        .values("pk", "grid_id", "micro_grid_id", "number", "address", "visit_due_on")
    ):
        entry = {
            "pk": row["pk"],
            "number": row["number"],
            "address": row["address"],
            "due": row["visit_due_on"].isoformat(),
        }
        overdue_by_area[row["grid_id"]].append(entry)
        if row["micro_grid_id"]:
            overdue_by_area[row["micro_grid_id"]].append(entry)

    care_by_area = _care_on_time(area_ids=area_ids, start=start, end=end, due_by=due_by)

    reported = dict(
        Ticket.objects.filter(
            channel=Channel.FIELD, reported_by__in=ids, created_at__gte=start, created_at__lt=end
        )
        .values("reported_by")
        .annotate(n=Count("pk"))
        .values_list("reported_by", "n")
    )
    # Credit goes to whoever resolved the request: the assignee, or the colleague covering
    # them on leave (AB岗, ``Ticket.resolved_by``; empty on rows from before it was kept).
    handled = {
        row["worker"]: row
        for row in Ticket.objects.annotate(worker=Coalesce("resolved_by", "assignee"))
        .filter(worker__in=ids)
        .filter(
            Q(resolved_at__gte=start, resolved_at__lt=end)
            | Q(closed_at__gte=start, closed_at__lt=end, rating__isnull=False)
        )
        .values("worker")
        .annotate(
            resolved=Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
            on_time=Count(
                "pk",
                filter=Q(resolved_at__gte=start, resolved_at__lt=end)
                & (Q(completion_due__isnull=True) | Q(resolved_at__lte=F("completion_due"))),
            ),
            rating=Avg(
                "rating",
                filter=Q(closed_at__gte=start, closed_at__lt=end, rating__isnull=False),
            ),
        )
    }

    # Points earned in the month by the worker's own account or their party member's.
    points = dict(
        Entry.objects.filter(
            kind__in=[Entry.Kind.EARN, Entry.Kind.REVERSAL],
            earned_on__gte=month,
            earned_on__lt=next_month(month),
        )
        .annotate(worker=Coalesce("account__user_id", "account__member__user_id"))
        .filter(worker__in=ids)
        .values("worker")
        .annotate(total=Sum("amount"))
        .values_list("worker", "total")
    )

    for worker_id, wm in months.items():
        done = visited.get(worker_id, {}).get("households", 0)
        wm.overdue = overdue_by_area.get(wm.area.pk, [])
        due = done + len(wm.overdue)
        handled_row = handled.get(worker_id, {})
        resolved = handled_row.get("resolved", 0)
        rating = handled_row.get("rating")
        care_due, care_on_time, wm.care_late = care_by_area.get(wm.area.pk, (0, 0, []))
        wm.figures = {
            # Nothing due is nothing missed: full marks.
            Figure.VISITS_SHARE: round(done / due, 4) if due else 1.0,
            Figure.CARE_VISITS: visited.get(worker_id, {}).get("care", 0),
            # None when no care visit fell due: nothing to measure (full marks).
            Figure.CARE_ON_TIME: round(care_on_time / care_due, 4) if care_due else None,
            Figure.FIELD_REQUESTS: reported.get(worker_id, 0),
            Figure.ON_TIME_SHARE: (
                round(handled_row.get("on_time", 0) / resolved, 4) if resolved else None
            ),
            Figure.RATING: round(float(rating), 2) if rating is not None else None,
            Figure.SERVICE_POINTS: points.get(worker_id, 0),
            "visits_done": done,
            "visits_due": due,
            "requests_resolved": resolved,
            "care_due": care_due,
            "care_done": care_on_time,
        }
    return months


def _care_on_time(
    *, area_ids: set[int], start: dt.datetime, end: dt.datetime, due_by: dt.date
) -> dict[int, tuple[int, int, list[dict]]]:
    """{area id: (care visits due, made by the due date, the late households)} (one query).

    A household is in care while a living resident of it is in a care category. Its due date
    in the month is its last visit before the month (else its creation) plus its interval, the
    interval being what separates its stored due date from the visit (or creation) that set it
    (``visits.services.refresh_due``). It counts when that date is not after ``due_by``; it
    is on time when its first visit in the month came on or before that date. A household
    already overdue when the month began counts, and is late."""
    in_care = ResidentCare.objects.filter(
        resident__household=OuterRef("pk"), resident__status=Resident.Status.LIVING
    )
    rows = (
        Household.objects.filter(Q(grid__in=area_ids) | Q(micro_grid__in=area_ids))
        .filter(Exists(in_care), visit_due_on__isnull=False)
        .values("pk", "grid_id", "micro_grid_id", "number", "address")
        .annotate(
            before=Max("visits__visited_at", filter=Q(visits__visited_at__lt=start)),
            first=Min(
                "visits__visited_at",
                filter=Q(visits__visited_at__gte=start, visits__visited_at__lt=end),
            ),
            created=Min("created_at"),
            last=Max("last_visited_at"),
            stored_due=Max("visit_due_on"),
        )
        .order_by()
    )
    local = timezone.localdate
    result: dict[int, list] = defaultdict(lambda: [0, 0, []])
    for row in rows:
        interval = row["stored_due"] - local(row["last"] or row["created"])
        due = local(row["before"] or row["created"]) + interval
        if due > due_by:
            continue
        on_time = row["first"] is not None and local(row["first"]) <= due
        late = (
            None
            if on_time
            else {
                "pk": row["pk"],
                "number": row["number"],
                "address": row["address"],
                "due": due.isoformat(),
            }
        )
        for area_id in (row["grid_id"], row["micro_grid_id"]):
            if area_id is None:
                continue
            tally = result[area_id]
            tally[0] += 1
            tally[1] += on_time
            if late:
                tally[2].append(late)
    return {
        area_id: (n, ok, sorted(rows, key=lambda r: r["due"]))
        for area_id, (n, ok, rows) in result.items()
    }
