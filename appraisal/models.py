"""Grid workers' appraisal (网格员考核): the district's scheme, monthly scorecards computed
from what the product records, published and frozen by the street, and the career ladder.

The scheme is a set of items, each versioned like the points rules: a change is a new version
with the first month it applies to (``valid_from``); a month is scored under, for each item
code, the latest version whose ``valid_from`` is not after the month. Scorecards are drafts
until the street publishes the month; a published card never changes — a correction is a new
published version of the card, with a reason, and the old one stays (``superseded_at``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from grids.models import Area
from grids.roles import Role
from grids.scope import ScopedQuerySet

# The posts that get a scorecard.
SCORED_ROLES = (Role.GRID_WORKER, Role.PART_TIME_WORKER, Role.LIAISON)


class Figure(models.TextChoices):
    """What the product measures for a worker in a month (``appraisal.scoring``)."""

    VISITS_SHARE = "visits_share", _("Households visited of those due (share)")
    CARE_VISITS = "care_visits", _("Care visits made")
    CARE_ON_TIME = "care_on_time", _("Care households visited by their due date (share)")
    FIELD_REQUESTS = "field_requests", _("Requests raised from the field")
    ON_TIME_SHARE = "on_time_share", _("Requests handled on time (share)")
    RATING = "rating", _("Residents' average rating of their requests")
    SERVICE_POINTS = "service_points", _("Service points earned (积分)")
    MANUAL = "manual", _("Scored by an officer")


# How each figure is worked out, shown to the worker beside it.
DEFINITIONS = {
    Figure.VISITS_SHARE: _(
        "Households of your grid you visited this month, out of those visited or falling due "
        "by the month's end (or today, in the month so far)."
    ),
    Figure.CARE_VISITS: _("Care visits (关爱走访) you logged this month."),
    Figure.CARE_ON_TIME: _(
        "Households of your grid in care (关爱对象) whose visit fell due this month (or was "
        "already overdue when it began): the share visited by the due date. Each household "
        "counts once, at its first due date in the month; any visit to it counts."
    ),
    Figure.FIELD_REQUESTS: _("Requests you reported from the field this month."),
    Figure.ON_TIME_SHARE: _(
        "Requests assigned to you and resolved this month, resolved by their completion deadline."
    ),
    Figure.RATING: _("Residents' average rating (1–5) of your requests closed this month."),
    Figure.SERVICE_POINTS: _(
        "Points earned this month in the points schemes (a party member's services), net of "
        "reversals."
    ),
    Figure.MANUAL: _("Scored by an officer, with a note."),
}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


class ItemQuerySet(models.QuerySet):
    def in_force(self, month: dt.date) -> list[SchemeItem]:
        """Per code, the latest version valid from on or before ``month`` (one query).

        Picked here rather than with DISTINCT ON, which SQLite (``make run``) lacks: a scheme
        is a few dozen rows."""
        latest: dict[str, SchemeItem] = {}
        rows = self.filter(valid_from__lte=month_start(month)).order_by(
            "code", "-valid_from", "-version"
        )
        for item in rows:
            latest.setdefault(item.code, item)
        return sorted(
            (item for item in latest.values() if item.weight > 0), key=lambda i: i.position
        )


class SchemeItem(models.Model):
    """One version of one item of the district's scheme."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    valid_from = models.DateField(_("valid from (month)"))
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    figure = models.CharField(_("figure"), max_length=20, choices=Figure.choices)
    # Points this item is worth at full marks; 0 retires the item from that month on.
    weight = models.PositiveSmallIntegerField(_("weight (points)"))
    # The figure that earns full marks; below it the score is proportional (manual items:
    # the officer's score out of the weight).
    full_marks_at = models.DecimalField(
        _("full marks at"),
        max_digits=8,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("scorecard item")
        verbose_name_plural = _("scorecard items")
        ordering = ["position", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="appraisal_item_version_once"),
            models.UniqueConstraint(
                fields=["code", "valid_from"], name="appraisal_item_one_per_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def is_manual(self) -> bool:
        return self.figure == Figure.MANUAL

    @property
    def definition(self):
        return DEFINITIONS[self.figure]

    def clean(self) -> None:
        if self.valid_from and self.valid_from.day != 1:
            raise ValidationError({"valid_from": _("A version applies from a month's first day.")})

    def score(self, value) -> Decimal:
        """The points ``value`` of the figure earns: linear up to full marks."""
        if value is None:
            # Nothing to measure is nothing missed; an unscored manual item is nothing.
            return Decimal(0 if self.is_manual else self.weight).quantize(Decimal("0.01"))
        value = Decimal(str(value))
        if self.is_manual:
            return max(Decimal(0), min(value, Decimal(self.weight))).quantize(Decimal("0.01"))
        share = max(Decimal(0), min(value / self.full_marks_at, Decimal(1)))
        return (share * self.weight).quantize(Decimal("0.01"))


class ScorecardQuerySet(ScopedQuerySet):
    area_path = "grid__path"

    def current(self):
        return self.filter(superseded_at__isnull=True)

    def readable_by(self, user):
        """The cards ``user`` may open: those of the areas they see, and their own."""
        seen = self.model.objects.visible_to(user).values("pk")
        return self.filter(Q(pk__in=seen) | Q(worker=user))


class Scorecard(models.Model):
    """One worker's card for one month (one version of it)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="scorecards",
        verbose_name=_("worker"),
    )
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="scorecards", verbose_name=_("area")
    )
    role = models.CharField(_("post"), max_length=30, choices=Role.choices)
    month = models.DateField(_("month"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    # {item code: {"item": pk, "value": figure, "score": "points", "note": …}}
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    # Households overdue at the month's end (the rows behind the visits figure).
    overdue = models.JSONField(_("overdue households"), default=list, blank=True)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2, default=Decimal(0))
    reason = models.CharField(_("reason for the correction"), max_length=500, blank=True)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    objects = ScorecardQuerySet.as_manager()

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["-month", "-total", "worker_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "month", "version"], name="appraisal_card_version_once"
            ),
            models.UniqueConstraint(
                fields=["worker", "month"],
                condition=Q(superseded_at__isnull=True),
                name="appraisal_card_one_current",
            ),
        ]
        indexes = [models.Index(fields=["month", "grid"], name="appraisal_card_month_grid")]

    def __str__(self) -> str:
        return f"{self.worker} · {self.month:%Y-%m} v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class TalkQuerySet(ScopedQuerySet):
    area_path = "grid__path"


class Talk(models.Model):
    """A talk with a worker the month's ranking put among the lowest (末位约谈): what was said,
    what they agreed to improve and when to look again. A second talk (a follow-up) is a
    second row."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appraisal_talks",
        verbose_name=_("worker"),
    )
    # The card's grid: where the talk is seen from (``visible_to``).
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    # The published month whose ranking flagged the worker.
    month = models.DateField(_("month"))
    scorecard = models.ForeignKey(
        Scorecard,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="talks",
        verbose_name=_("scorecard"),
    )
    held_on = models.DateField(_("held on"))
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("held by"),
    )
    notes = models.TextField(_("what was discussed"), max_length=2000)
    actions = models.TextField(_("agreed improvement actions"), max_length=1000, blank=True)
    follow_up_on = models.DateField(_("follow-up on"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    objects = TalkQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement talk")
        verbose_name_plural = _("improvement talks")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["month", "worker"], name="appraisal_talk_month_worker")]

    def __str__(self) -> str:
        return f"{self.worker} · {self.month:%Y-%m} · {self.held_on}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("A month is given by its first day.")})
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": _("The talk cannot be in the future.")})
        if self.held_on and self.month and self.held_on < self.month:
            raise ValidationError(
                {"held_on": _("The talk cannot be before the month it is about.")}
            )
        if self.follow_up_on and self.held_on and self.follow_up_on < self.held_on:
            raise ValidationError({"follow_up_on": _("The follow-up comes after the talk.")})


# The career ladder (三岗十八级) lives in its own module; imported here so Django finds it.
from appraisal.ladder import (  # noqa: E402, F401
    ROLE_TRACK,
    Grade,
    GradeHolding,
    Promotion,
    Track,
)
