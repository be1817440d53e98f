"""The catalogue of matters (事项清单): who owns a matter and how long each stage may take,
and the departments that take matters. District staff edit it on the catalogue pages
(tickets/catalogue_pages.py; the defaults are in tickets/catalogue.py). ``version`` refuses a
save made from a stale form (core.concurrency)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.concurrency import Versioned

# --- Data in two languages --------------------------------------------------------------------


class Bilingual(models.Model):
    """Catalogue rows are data, not code: each carries its own English and Chinese name."""

    name_en = models.CharField(_("name (English)"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


# --- Catalogue of matters ---------------------------------------------------------------------


class Department(Bilingual, Versioned):
    """A functional department that takes escalated or department-owned matters (部门报到)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="departments",
        verbose_name=_("members"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]


class Category(Bilingual, Versioned):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category of matters")
        verbose_name_plural = _("categories of matters")
        ordering = ["order", "code"]


class OwnerLevel(models.TextChoices):
    GRID = "grid", _("Grid")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DEPARTMENT = "department", _("Department")
    # The property company serving the estate of the place (estates registers who that is,
    # tickets.routing); the grid or community when none does.
    PROPERTY = "property", _("Property company of the estate")


class LimitUnit(models.TextChoices):
    HOURS = "hours", pgettext_lazy("time limit unit", "hours")
    WORKING_DAYS = "working_days", _("working days")
    DAYS = "days", _("calendar days")


class Matter(Bilingual, Versioned):
    """An item of the catalogue (事项): who owns it and the time allowed for each stage."""

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="matters", verbose_name=_("category")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    owner_level = models.CharField(
        _("owned by"), max_length=20, choices=OwnerLevel.choices, default=OwnerLevel.GRID
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
        verbose_name=_("department"),
    )
    response_limit = models.PositiveSmallIntegerField(
        _("response time limit"),
        validators=[MinValueValidator(1)],
    )
    response_unit = models.CharField(
        _("unit"), max_length=20, choices=LimitUnit.choices, default=LimitUnit.HOURS
    )
    completion_limit = models.PositiveSmallIntegerField(
        _("completion time limit"),
        validators=[MinValueValidator(1)],
    )
    completion_unit = models.CharField(
        _("unit"), max_length=20, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    photo_required = models.BooleanField(_("photo required to resolve"), default=False)
    # 吹哨 ladder: overdue this long above the grid, the ticket moves up to the next level.
    escalate_after_hours = models.PositiveSmallIntegerField(
        _("escalate after (hours overdue)"),
        default=24,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Overdue at a grid, a request goes up to the community at once; still overdue "
            "this many hours later, to the street; then to the owning department or the "
            "district."
        ),
    )
    earns_points = models.BooleanField(_("completion earns points"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("catalogue of matters")
        ordering = ["category__order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(owner_level="department") | Q(department__isnull=False),
                name="matter_department_owner_names_it",
                violation_error_message=_("Name the department that owns this matter."),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.owner_level == OwnerLevel.DEPARTMENT and not self.department_id:
            raise ValidationError({"department": _("Name the department that owns this matter.")})
