"""红色物业: property companies, the estates (小区) they serve, the district's standard, the
communities' half-yearly star ratings and the frozen half-yearly red and black list.

A half-year is named by its ``period`` ("2026H1"). A rating is the community's: it scores
the standard's items for a company serving its estates, and residents' satisfaction is read
from the requests the company handled there. A published list never changes: its rows are
copies, as the points' red and black lists are.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.personal import mask_mobile, validate_mobile
from grids.models import Area
from grids.roles import COMMUNITY_LEVELS, GRID_DEPTH
from grids.scope import path_q, scope_paths

PERIOD_RE = re.compile(r"^(\d{4})H([12])$")
# Points the residents' satisfaction is worth in a rating's total of 100 (the standard's
# items are worth the rest).
SATISFACTION_POINTS = Decimal(10)
TOTAL_POINTS = Decimal(100)
# Star thresholds, best first: a total at or above the bound earns the stars.
STAR_BOUNDS = ((Decimal(90), 5), (Decimal(80), 4), (Decimal(70), 3), (Decimal(60), 2))
RED_LIST_STARS = 4  # at or above: red list (红榜)
BLACK_LIST_STARS = 2  # at or below: black list (黑榜)


def period_of(day: dt.date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a half-year; ValueError for a malformed name."""
    match = PERIOD_RE.match(period or "")
    if not match:
        raise ValueError(period)
    year, half = int(match[1]), int(match[2])
    if half == 1:
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    return dt.date(year, 7, 1), dt.date(year, 12, 31)


def previous_period(period: str) -> str:
    first, _last = period_bounds(period)
    return period_of(first - dt.timedelta(days=1))


def stars_for(total: Decimal | None) -> int:
    if total is None:
        return 0
    for bound, stars in STAR_BOUNDS:
        if total >= bound:
            return stars
    return 1


validate_credit_code = RegexValidator(
    r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
    _("A unified social credit code (统一社会信用代码) is 18 digits and capital letters."),
    code="credit_code",
)


class PartyOrg(models.TextChoices):
    INDEPENDENT = "independent", _("Independent party branch (独立党支部)")
    JOINT = "joint", _("Joint party branch (联合党支部)")
    NONE = "none", _("No party organisation")


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Companies serving an estate the user sees."""
        return self.filter(pk__in=Estate.objects.visible_to(user).values("company_id"))


class Company(models.Model):
    """A property service company (物业服务企业)."""

    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(
        _("unified social credit code (统一社会信用代码)"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(
        _("contact mobile"), max_length=11, blank=True, validators=[validate_mobile]
    )
    party_org = models.CharField(
        _("party organisation"), max_length=20, choices=PartyOrg.choices, default=PartyOrg.NONE
    )
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="property_companies",
        verbose_name=_("party branch"),
    )
    # The company's staff take the requests routed to it (a matter owned by "the property
    # company of the estate"): members of this department (estates.services.set_up_company).
    department = models.OneToOneField(
        "tickets.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="property_company",
        verbose_name=_("department for requests"),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.credit_code:
            self.credit_code = self.credit_code.strip().upper()
        if self.party_org == PartyOrg.NONE and self.branch_id:
            raise ValidationError({"branch": _("A company without a party organisation has none.")})

    def masked_phone(self) -> str:
        return mask_mobile(self.phone)

    @property
    def has_party_org(self) -> bool:
        return self.party_org != PartyOrg.NONE


class EstateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Estates of the user's communities, or covering one of their grids."""
        paths = scope_paths(user)
        if paths is None:
            return self
        # Ids, not a join: a join on the grids would repeat estates.
        by_grid = Estate.grids.through.objects.filter(path_q(paths, "area__path"))
        return self.filter(
            path_q(paths, "community__path") | models.Q(pk__in=by_grid.values("estate_id"))
        )


class Estate(models.Model):
    """A residential estate (小区), in one community, covering one or more of its grids."""

    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="estates",
        limit_choices_to={"level__in": COMMUNITY_LEVELS},
        verbose_name=_("community"),
    )
    grids = models.ManyToManyField(
        Area,
        blank=True,
        related_name="grid_estates",
        limit_choices_to={"depth": GRID_DEPTH},
        verbose_name=_("grids"),
    )
    # Empty: self-managed (自管) or no company yet.
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="estates",
        verbose_name=_("property company"),
    )
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)

    objects = EstateQuerySet.as_manager()

    class Meta:
        verbose_name = _("estate (小区)")
        verbose_name_plural = _("estates (小区)")
        ordering = ["community__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="estates_estate_name_once")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.community_id and self.community.level not in COMMUNITY_LEVELS:
            raise ValidationError({"community": _("Choose a community or village.")})


class StandardItem(models.Model):
    """One item of the district's 红色物业 standard (e.g. 19 items). Retire an item with
    ``active``: ratings keep their scores and the item's text."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    text_en = models.CharField(_("text (English)"), max_length=200)
    text_zh = models.CharField(_("text (Chinese)"), max_length=200)
    max_score = models.PositiveSmallIntegerField(
        _("maximum score"), validators=[MinValueValidator(1)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("standard item (红色物业)")
        verbose_name_plural = _("standard items (红色物业)")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return self.text_zh if (get_language() or "").startswith("zh") else self.text_en


class RatingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(path_q(scope_paths(user), "community__path"))


class Rating(models.Model):
    """A community's star rating (星级化考核) of one company for one half-year."""

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("star rating", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("star rating", "Submitted")

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("company")
    )
    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    period = models.CharField(_("half-year"), max_length=6)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    items_score = models.DecimalField(
        _("standard items"), max_digits=5, decimal_places=1, default=0
    )
    items_max = models.PositiveSmallIntegerField(_("standard items out of"), default=0)
    # Residents' average rating (1–5) of the requests the company handled in the community in
    # the half-year; None when none was rated.
    satisfaction = models.DecimalField(
        _("residents' satisfaction"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    rated_requests = models.PositiveIntegerField(_("rated requests"), default=0)
    total = models.DecimalField(_("total"), max_digits=5, decimal_places=1, default=0)
    stars = models.PositiveSmallIntegerField(_("stars"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("star rating")
        verbose_name_plural = _("star ratings")
        ordering = ["-period", "company__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "community", "period"], name="estates_rating_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.community} · {self.period}"

    def compute_total(self) -> None:
        """Items scaled to their share of 100, plus satisfaction out of its 10 points; with no
        rated request, the items alone scaled to 100 (nobody is marked down for silence)."""
        if not self.items_max:
            self.total, self.stars = Decimal(0), stars_for(Decimal(0))
            return
        items = Decimal(self.items_score) / self.items_max
        if self.satisfaction is None:
            total = items * TOTAL_POINTS
        else:
            total = items * (TOTAL_POINTS - SATISFACTION_POINTS) + (
                Decimal(self.satisfaction) / 5 * SATISFACTION_POINTS
            )
        self.total = total.quantize(Decimal("0.1"))
        self.stars = stars_for(self.total)

    @property
    def submitted(self) -> bool:
        return self.state == self.State.SUBMITTED

    # As a published list's row names them (templates/estates/_board.html shows both).
    @property
    def company_name(self) -> str:
        return self.company.name

    @property
    def community_name(self) -> str:
        return self.community.name


class RatingScore(models.Model):
    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rating", "item"], name="estates_score_once")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.score}"

    def clean(self) -> None:
        super().clean()
        if self.score is not None and not (0 <= self.score <= self.item.max_score):
            raise ValidationError(
                {"score": _("Score between 0 and %(max)s.") % {"max": self.item.max_score}}
            )


class PublishedListQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(path_q(scope_paths(user), "area__path"))


class PublishedList(models.Model):
    """A street's or the district's red and black list of property companies for a
    half-year, as published: frozen, it never changes after."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("half-year"), max_length=6)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    objects = PublishedListQuerySet.as_manager()

    class Meta:
        verbose_name = _("published property red and black list")
        verbose_name_plural = _("published property red and black lists")
        ordering = ["-period", "-published_at"]
        constraints = [models.UniqueConstraint(fields=["area", "period"], name="estates_list_once")]

    def __str__(self) -> str:
        return f"{self.area} · {self.period}"


class ListRow(models.Model):
    class Board(models.TextChoices):
        RED = "red", _("Red list")
        BLACK = "black", _("Black list")

    published = models.ForeignKey(PublishedList, on_delete=models.CASCADE, related_name="rows")
    board = models.CharField(max_length=10, choices=Board.choices)
    rank = models.PositiveSmallIntegerField()
    # Copies as they were: the list must read the same years later.
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, related_name="+")
    company_name = models.CharField(max_length=100)
    # For the dashboards' counts under an area; the name below is what the list shows.
    community = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, related_name="+")
    community_name = models.CharField(max_length=100)
    total = models.DecimalField(max_digits=5, decimal_places=1)
    stars = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["board", "rank"]

    def __str__(self) -> str:
        return f"{self.board} {self.rank}. {self.company_name}"
