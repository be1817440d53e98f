"""Rollups the dashboards read, so that no page aggregates raw requests or visits.

``AreaDay`` holds, for each area at every level and each day, the requests *submitted* that
day anywhere under it and what has become of them so far (a cohort), the visits, activities
and points of that day. Every figure is a count, so an area's figures for any period are sums
over its own rows; what is held at an area itself (a community's triage queue) is its total
less its children's. ``dashboards.rollup`` keeps the rows right.
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
    # Micro-wishes (微心愿) of the cohort, and those fulfilled so far.
    wishes = models.PositiveIntegerField(default=0)
    wishes_fulfilled = models.PositiveIntegerField(default=0)
    # Visits made on ``day`` in the grid (走访).
    visits = models.PositiveIntegerField(default=0)
    # Activities held on ``day`` at the stations serving the area, and their attendance.
    activities = models.PositiveIntegerField(default=0)
    attendance = models.PositiveIntegerField(default=0)
    # Points posted on ``day`` to the community's accounts: earned, and spent on rewards; of
    # them, those of the residents' schemes (文明积分), the rest being party members' service.
    points_issued = models.PositiveIntegerField(default=0)
    points_redeemed = models.PositiveIntegerField(default=0)
    points_issued_residents = models.PositiveIntegerField(default=0)
    points_redeemed_residents = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="rollup_area_day")]
        indexes = [
            models.Index(fields=["day", "area"], name="rollup_day_area"),
            # The "now" figures sum every day that still has open requests, and only those.
            models.Index(
                fields=["area", "day"], condition=models.Q(open_now__gt=0), name="rollup_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.day}"


class RollupState(models.Model):
    """How far the incremental job has read the request timeline and the visits."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    last_visit_id = models.BigIntegerField(default=0)
    last_activity_id = models.BigIntegerField(default=0)
    last_entry_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}/{self.last_visit_id}"


class AreaMix(models.Model):
    """The requests of ``AreaDay`` split by channel and category (only the non-zero pairs),
    at every level like it."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    channel = models.CharField(max_length=20)
    category = models.ForeignKey("tickets.Category", on_delete=models.CASCADE, related_name="+")
    received = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily rollup by channel and category")
        verbose_name_plural = _("daily rollups by channel and category")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "day", "channel", "category"], name="rollup_mix_once"
            )
        ]
        indexes = [models.Index(fields=["day", "area"], name="rollup_mix_day_area")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.day} {self.channel} {self.category_id}"


class AreaStanding(models.Model):
    """How an area stands now (coverage, staffing, members, households): one row per area
    at every level, each the sum of the grids and communities under it, so a dashboard
    reads its children's standing with the children themselves (``dashboards.standing``)."""

    area = models.OneToOneField(Area, on_delete=models.CASCADE, related_name="standing")
    # Territory and staffing (1+3+N).
    grids = models.PositiveIntegerField(default=0)
    grids_comprehensive = models.PositiveIntegerField(default=0)
    grids_dedicated = models.PositiveIntegerField(default=0)
    grids_staffed = models.PositiveIntegerField(default=0)
    vacancies = models.PositiveIntegerField(default=0)
    workers = models.PositiveIntegerField(default=0)
    # Party branches: coverage, 一肩挑, in-service members (双报到) and the annual minimum.
    grids_with_branch = models.PositiveIntegerField(default=0)
    branches = models.PositiveIntegerField(default=0)
    branches_one_shoulder = models.PositiveIntegerField(default=0)
    members_in_service = models.PositiveIntegerField(default=0)
    members_registered = models.PositiveIntegerField(default=0)
    members_served = models.PositiveIntegerField(default=0)
    # Households, those linked to a member (联户), visited in 30 / 90 days, care overdue.
    households = models.PositiveIntegerField(default=0)
    households_linked = models.PositiveIntegerField(default=0)
    visited_30 = models.PositiveIntegerField(default=0)
    visited_90 = models.PositiveIntegerField(default=0)
    visits_overdue = models.PositiveIntegerField(default=0)
    care_overdue = models.PositiveIntegerField(default=0)
    # Stations: grids with one, standardised (四有三规范), the 15-minute service circle.
    grids_with_station = models.PositiveIntegerField(default=0)
    stations = models.PositiveIntegerField(default=0)
    stations_standardised = models.PositiveIntegerField(default=0)
    households_located = models.PositiveIntegerField(default=0)
    households_in_circle = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("standing rollup")
        verbose_name_plural = _("standing rollups")

    def __str__(self) -> str:
        return f"{self.area_id} @ {self.computed_at:%Y-%m-%d %H:%M}"


STANDING = [
    f.name
    for f in AreaStanding._meta.concrete_fields
    if f.name not in ("id", "area", "computed_at")
]

COUNTS = [
    f.name
    for f in AreaDay._meta.concrete_fields
    if f.name not in ("id", "area", "day", "computed_at")
]
