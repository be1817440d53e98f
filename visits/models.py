"""Visits (走访) and patrols (巡查): visit plans, the places patrolled, visits and their photos.

The tables keep the names they had when these models lived in grids (``grids_visit`` …), so
moving the models moved no rows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import PrivatePhoto
from grids.models import Area, CareCategory, Household
from grids.roles import Level
from grids.scope import ScopedQuerySet

# How often a household should be visited, in days, unless its community says otherwise: every
# household routinely, and those with someone in a care category more often.
DEFAULT_ROUTINE_DAYS = 90
DEFAULT_CARE_DAYS = {
    CareCategory.ELDERLY_ALONE: 7,
    CareCategory.EMPTY_NEST: 14,
    CareCategory.DISABLED: 30,
    CareCategory.LOW_INCOME: 30,
    CareCategory.EXTREME_POVERTY: 14,
    CareCategory.LEFT_BEHIND_CHILD: 30,
    CareCategory.SERIOUS_ILLNESS: 14,
    CareCategory.VETERAN: 90,
}


class VisitPlanQuerySet(ScopedQuerySet):
    area_path = "area__path"


# A community's (or village's) own plan; a street's (or town's) is the default of its
# communities that have none of their own.
PLAN_LEVELS = (Level.COMMUNITY, Level.VILLAGE, Level.STREET, Level.TOWN)


class VisitPlan(models.Model):
    """Visit intervals (走访频次) of a community, or a street's default for its communities;
    without either, the defaults above apply (``visits.services.plan_in_force``)."""

    class Source(models.TextChoices):
        OWN = "own", _("own plan")
        STREET = "street", _("street default")
        BUILT_IN = "built_in", _("built-in defaults")

    area = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        related_name="visit_plan",
        verbose_name=_("area"),
        limit_choices_to={"level__in": PLAN_LEVELS},
    )
    routine_days = models.PositiveSmallIntegerField(
        _("every household, every (days)"),
        default=DEFAULT_ROUTINE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
    )
    # {care category: days}; a category left out falls back to the default.
    care_days = models.JSONField(_("care categories (days)"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = VisitPlanQuerySet.as_manager()

    class Meta:
        db_table = "grids_visitplan"
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")

    def __str__(self) -> str:
        return f"{self.area}"

    def clean(self) -> None:
        errors = {}
        if self.area_id and self.area.level not in PLAN_LEVELS:
            errors["area"] = _("A visit plan belongs to a community, village, street or town.")
        bad = [
            key
            for key, days in (self.care_days or {}).items()
            if key not in CareCategory.values
            or not isinstance(days, int)
            or isinstance(days, bool)
            or not 1 <= days <= 366
        ]
        if bad:
            errors["care_days"] = _("Give whole days from 1 to 366 for known care categories.")
        if errors:
            raise ValidationError(errors)

    def care_days_full(self) -> dict[str, int]:
        """Every care category's interval under this plan (the default where it says none)."""
        return {**DEFAULT_CARE_DAYS, **(self.care_days or {})}

    def days_for(self, categories) -> int:
        """The interval for a household whose residents are in ``categories``."""
        care = {**DEFAULT_CARE_DAYS, **(self.care_days or {})}
        return min([self.routine_days, *(care[c] for c in categories if c in care)])


class PlaceKind(models.TextChoices):
    SHOP = "shop", _("Shop or restaurant")
    ENTERPRISE = "enterprise", _("Enterprise or workshop")
    PUBLIC = "public", _("Public place")
    HAZARD = "hazard", _("Known hazard")


class PlaceQuerySet(ScopedQuerySet):
    area_path = "grid__path"


class Place(models.Model):
    """A place patrolled (巡查) in a grid: shops, enterprises, public places, hazards."""

    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="places",
        verbose_name=_("grid"),
        limit_choices_to={"level": Level.GRID},
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    last_visited_at = models.DateTimeField(_("last patrolled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        db_table = "grids_place"
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["grid__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="place_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.grid_id and self.grid.level != Level.GRID:
            raise ValidationError({"grid": _("Choose a grid.")})


class VisitKind(models.TextChoices):
    ROUTINE = "routine", _("Routine visit")
    CARE = "care", _("Care visit")
    PATROL = "patrol", _("Patrol (巡查)")
    MEDIATION = "mediation", _("Mediation")
    PUBLICITY = "publicity", _("Policy publicity")


# Quick picks for "what was found"; free text says the rest.
VISIT_TAGS = {
    "all_well": _("All well"),
    "needs_help": _("Needs help"),
    "health": _("Health problem"),
    "safety": _("Safety hazard"),
    "dispute": _("Neighbour dispute"),
    "environment": _("Environment, sanitation"),
    "moved": _("Household changed"),
    "policy": _("Asked about a policy"),
}


class VisitQuerySet(ScopedQuerySet):
    area_path = "grid__path"


class Visit(models.Model):
    """One visit to a household, or one patrol of a place, by one person."""

    # Made by the browser when the form opens: a retried or queued submit is the same visit.
    client_id = models.UUIDField(_("client id"), unique=True, editable=False)
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="visits", verbose_name=_("grid")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("household"),
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("place"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("visited by"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=VisitKind.choices)
    visited_at = models.DateTimeField(_("visited"), default=timezone.now)
    people_met = models.CharField(_("people met"), max_length=200, blank=True)
    findings = models.TextField(_("what was found"), max_length=2000, blank=True)
    tags = models.JSONField(_("quick picks"), default=list, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    follow_up = models.BooleanField(_("follow-up needed"), default=False)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        db_table = "grids_visit"
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-pk"]
        indexes = [
            models.Index(fields=["grid", "visited_at"], name="visit_grid_time"),
            models.Index(fields=["by", "visited_at"], name="visit_by_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(household__isnull=False, place__isnull=True)
                | Q(household__isnull=True, place__isnull=False),
                name="visit_household_or_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.household or self.place}"

    @property
    def target(self):
        return self.household or self.place

    def clean(self) -> None:
        errors = {}
        if (self.household_id is None) == (self.place_id is None):
            errors["household"] = _("A visit is to one household or one place.")
        unknown = [t for t in self.tags or [] if t not in VISIT_TAGS]
        if unknown:
            errors["tags"] = _("Unknown quick pick: %(tags)s.") % {"tags": ", ".join(unknown)}
        if (self.longitude is None) != (self.latitude is None) or (
            self.longitude is not None
            and not (-180 <= self.longitude <= 180 and -90 <= self.latitude <= 90)
        ):
            errors["latitude"] = _("The location is not valid.")
        if errors:
            raise ValidationError(errors)


class VisitPhotoQuerySet(ScopedQuerySet):
    area_path = "visit__grid__path"


class VisitPhoto(PrivatePhoto):
    photo_folder = "visits"

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("visit")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = VisitPhotoQuerySet.as_manager()

    class Meta:
        db_table = "grids_visitphoto"
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.image.name}"
