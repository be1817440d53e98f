"""Rollups the dashboards read, so that no page aggregates raw requests or visits.

``AreaDay`` holds, for each area where requests live (a grid, or a community's triage
queue) and each day, the requests *submitted* that day and what has become of them so far
(a cohort), and the visits made that day. Every figure is a count, so any area's figures for
any period are sums over the rows under its path. ``dashboards.rollup`` keeps the rows right.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Area

RESPONSE_HOURS = (1, 4, 24, 72)  # and more
COMPLETION_HOURS = (24, 72, 168, 360)  # and more


class AreaDay(models.Model):
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # The cohort of requests submitted on ``day`` in ``area`` (merged duplicates left out).
    received = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    # As of the last refresh (the job re-counts every day that still has open requests).
    open_now = models.PositiveIntegerField(default=0)
    overdue_now = models.PositiveIntegerField(default=0)
    acknowledged_now = models.PositiveIntegerField(default=0)
    # Time from submission to response and to resolution, in buckets of hours (for medians
    # and 90th percentiles without the raw rows): ≤1, ≤4, ≤24, ≤72, more; ≤24 … ≤360, more.
    response_1 = models.PositiveIntegerField(default=0)
    response_2 = models.PositiveIntegerField(default=0)
    response_3 = models.PositiveIntegerField(default=0)
    response_4 = models.PositiveIntegerField(default=0)
    response_5 = models.PositiveIntegerField(default=0)
    completion_1 = models.PositiveIntegerField(default=0)
    completion_2 = models.PositiveIntegerField(default=0)
    completion_3 = models.PositiveIntegerField(default=0)
    completion_4 = models.PositiveIntegerField(default=0)
    completion_5 = models.PositiveIntegerField(default=0)
    # Visits made on ``day`` in the grid (走访).
    visits = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="rollup_area_day")]
        indexes = [models.Index(fields=["day", "area"], name="rollup_day_area")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.day}"


class RollupState(models.Model):
    """How far the incremental job has read the request timeline and the visits."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    last_visit_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}/{self.last_visit_id}"


COUNTS = [
    f.name
    for f in AreaDay._meta.concrete_fields
    if f.name not in ("id", "area", "day", "computed_at")
]
