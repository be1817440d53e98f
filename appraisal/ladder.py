"""The career ladder (三岗十八级): three tracks, one per scored post, of six grades each.

The district configures the grades (names, order, and the rules for promotion into each);
every worker holds one grade at a time, with its history (``GradeHolding``). Each month the
job proposes the next grade to the workers who meet its rules (``Promotion``) from their
published scorecards and their years in post; the street approves or rejects with a reason.

A worker without a grade is proposed the first grade of their track (its rules are nil by
default): entering the ladder is a decision the street records, like every step after it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from grids.models import Area
from grids.roles import Role
from grids.scope import ScopedQuerySet


class Track(models.TextChoices):
    """The three posts (三岗) of the grid workers' ladder, one per scored post."""

    FULL_TIME = "full_time", _("Full-time grid worker post (专职网格员岗)")
    PART_TIME = "part_time", _("Part-time grid worker post (兼职网格员岗)")
    LIAISON = "liaison", _("Micro-grid liaison post (微网格员岗)")


# The track of each scored post.
ROLE_TRACK = {
    Role.GRID_WORKER: Track.FULL_TIME,
    Role.PART_TIME_WORKER: Track.PART_TIME,
    Role.LIAISON: Track.LIAISON,
}
LEVELS = 6


class Grade(models.Model):
    """One grade of one track, and what it takes to be promoted into it."""

    track = models.CharField(_("track (岗)"), max_length=20, choices=Track.choices)
    level = models.PositiveSmallIntegerField(
        _("level (级)"), validators=[MinValueValidator(1), MaxValueValidator(LEVELS)]
    )
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    min_years = models.DecimalField(
        _("years in post at least"),
        max_digits=4,
        decimal_places=1,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    min_average = models.DecimalField(
        _("average score at least (last 12 published months)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    min_months = models.PositiveSmallIntegerField(
        _("published months at least (of the last 12)"),
        default=0,
        validators=[MaxValueValidator(12)],
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["track", "level"]
        constraints = [
            models.UniqueConstraint(fields=["track", "level"], name="appraisal_grade_once"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class HoldingQuerySet(models.QuerySet):
    def current(self):
        return self.filter(until__isnull=True)


class GradeHolding(models.Model):
    """A worker's grade from ``since`` until ``until`` (open: the current one)."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="grade_holdings",
        verbose_name=_("worker"),
    )
    grade = models.ForeignKey(
        Grade, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("grade")
    )
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    promotion = models.OneToOneField(
        "appraisal.Promotion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holding",
        verbose_name=_("promotion"),
    )

    objects = HoldingQuerySet.as_manager()

    class Meta:
        verbose_name = _("grade held")
        verbose_name_plural = _("grades held")
        ordering = ["worker_id", "-since", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"],
                condition=Q(until__isnull=True),
                name="appraisal_holding_one_current",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="appraisal_holding_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.grade} · {self.since}"


class PromotionQuerySet(ScopedQuerySet):
    area_path = "grid__path"

    def open(self):
        return self.filter(state=Promotion.State.PROPOSED)


class Promotion(models.Model):
    """A proposal to move a worker to the next grade, with the figures behind it."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        # Closed without a decision: the worker's grade was set by hand meanwhile.
        WITHDRAWN = "withdrawn", _("Withdrawn")

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="promotions",
        verbose_name=_("worker"),
    )
    # The worker's area when proposed: whose street decides.
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="promotions", verbose_name=_("area")
    )
    from_grade = models.ForeignKey(
        Grade,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from grade"),
    )
    to_grade = models.ForeignKey(
        Grade, on_delete=models.PROTECT, related_name="+", verbose_name=_("to grade")
    )
    average = models.DecimalField(
        _("average score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    months = models.PositiveSmallIntegerField(_("published months counted"), default=0)
    years = models.DecimalField(_("years in post"), max_digits=4, decimal_places=1)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now, editable=False)

    objects = PromotionQuerySet.as_manager()

    class Meta:
        verbose_name = _("promotion proposal")
        verbose_name_plural = _("promotion proposals")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"],
                condition=Q(state="proposed"),
                name="appraisal_promotion_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} → {self.to_grade}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.PROPOSED
