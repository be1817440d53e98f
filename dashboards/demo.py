"""The dashboards' rollups for the demo's two years, and the watermark at the timeline's end,
so the first refresh only recounts today and the open requests' days."""

from __future__ import annotations

from django.utils import timezone

from dashboards.models import RollupState
from dashboards.rollup import rebuild, remember_refresh
from dashboards.standing import refresh_standing
from grids.demo import Demo
from grids.models import Visit
from points.models import Entry
from stations.models import Activity
from tickets.models import Event, Ticket


def seed(demo: Demo, password: str) -> None:
    first = Ticket.objects.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    visited = Visit.objects.order_by("visited_at").values_list("visited_at", flat=True).first()
    starts = [timezone.localtime(t).date() for t in (first, visited) if t is not None]
    today = timezone.localdate()
    days = rebuild(min(starts, default=today), today)
    RollupState.objects.update_or_create(
        name="main",
        defaults={
            "last_event_id": Event.objects.order_by("-pk").values_list("pk", flat=True).first()
            or 0,
            "last_visit_id": Visit.objects.order_by("-pk").values_list("pk", flat=True).first()
            or 0,
            "last_activity_id": _last(Activity),
            "last_entry_id": _last(Entry),
            "refreshed_at": timezone.now(),
        },
    )
    remember_refresh(timezone.now())
    demo.counts["rollup days"] = days
    demo.counts["standing rows"] = refresh_standing()


def _last(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
