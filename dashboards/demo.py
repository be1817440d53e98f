"""The dashboards' rollups for the demo's two years, and the watermark at the timeline's end,
so the first refresh only recounts today and the open requests' days."""

from __future__ import annotations

from django.utils import timezone

from dashboards.rollup import caught_up, rebuild
from dashboards.standing import refresh_standing
from grids.demo import Demo
from tickets.models import Ticket
from visits.models import Visit


def seed(demo: Demo, password: str) -> None:
    first = Ticket.objects.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    visited = Visit.objects.order_by("visited_at").values_list("visited_at", flat=True).first()
    starts = [timezone.localtime(t).date() for t in (first, visited) if t is not None]
    today = timezone.localdate()
    days = rebuild(min(starts, default=today), today)
    caught_up(timezone.now())
    demo.counts["rollup days"] = days
    demo.counts["standing rows"] = refresh_standing()
