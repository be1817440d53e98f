"""A month's figures for every scored worker of an area, in a fixed handful of grouped queries
(never one per worker): the posts, the visits, the households still due, the field reports,
the requests handled, and the service points earned."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from appraisal.models import SCORED_ROLES, Figure, next_month
from grids.models import Area, Household, Post
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
        wm.figures = {
            # Nothing due is nothing missed: full marks.
            Figure.VISITS_SHARE: round(done / due, 4) if due else 1.0,
            Figure.CARE_VISITS: visited.get(worker_id, {}).get("care", 0),
            Figure.FIELD_REQUESTS: reported.get(worker_id, 0),
            Figure.ON_TIME_SHARE: (
                round(handled_row.get("on_time", 0) / resolved, 4) if resolved else None
            ),
            Figure.RATING: round(float(rating), 2) if rating is not None else None,
            Figure.SERVICE_POINTS: points.get(worker_id, 0),
            "visits_done": done,
            "visits_due": due,
            "requests_resolved": resolved,
        }
    return months
