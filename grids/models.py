from __future__ import annotations

import datetime as dt
from functools import cached_property

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from shapely.geometry import Point
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from core.concurrency import Versioned
from core.fields import (
    DigestField,
    EncryptedCharField,
    EncryptedModel,
    EncryptedQuerySet,
    KeyedChoiceField,
    Last4Field,
)
from core.personal import (
    id_birth_date,
    mask_id_number,
    mask_mobile,
    normalize_id_number,
    normalize_mobile,
    validate_id_number,
    validate_mobile,
)
from grids.geo import to_geometry, validate_geometry
from grids.policy import TerritoryCapability
from grids.roles import LEVEL_DEPTH, ROLE_LEVELS, Level, Role
from grids.scope import ScopedQuerySet, path_q, scope_paths

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    _("Use letters, digits, hyphens and underscores only."),
)


# --- Territory ------------------------------------------------------------------------------


class AreaQuerySet(MP_NodeQuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        return self.filter(path_q(scope_paths(user, capability), "path"))

    def grids(self):
        return self.filter(level=Level.GRID)

    def under(self, area: Area, include_self: bool = True):
        """The subtree of ``area``: one indexed prefix match on the path."""
        rows = self.filter(path__startswith=area.path)
        return rows if include_self else rows.exclude(pk=area.pk)


class AreaManager(MP_NodeManager.from_queryset(AreaQuerySet)):
    def get_queryset(self):
        return AreaQuerySet(self.model).order_by("path")


class Area(MP_Node):
    """One node of the territory: district → street/town → community/village → grid → micro-grid."""

    Level = Level

    class GridKind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("Comprehensive grid")
        DEDICATED = "dedicated", _("Dedicated grid")

    class DedicatedType(models.TextChoices):
        BUSINESS_DISTRICT = "business_district", _("Business district")
        INDUSTRIAL_PARK = "industrial_park", _("Industrial park")
        MARKET = "market", _("Market")
        OFFICE_BUILDING = "office_building", _("Enterprise building")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")
        OTHER = "other", _("Other")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[code_validator],
        help_text=_("Stable code used in links, QR codes and reports; never reused."),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    grid_kind = models.CharField(
        _("grid kind"), max_length=20, choices=GridKind.choices, blank=True
    )
    dedicated_type = models.CharField(
        _("dedicated grid type"), max_length=30, choices=DedicatedType.choices, blank=True
    )
    boundary = models.JSONField(
        _("boundary"),
        null=True,
        blank=True,
        help_text=_("A GeoJSON Polygon or MultiPolygon in longitude/latitude."),
    )
    # Bounding box of the boundary, so candidate neighbours are found in SQL.
    bbox_west = models.FloatField(null=True, blank=True, editable=False)
    bbox_south = models.FloatField(null=True, blank=True, editable=False)
    bbox_east = models.FloatField(null=True, blank=True, editable=False)
    bbox_north = models.FloatField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AreaManager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [
            models.Index(fields=["level", "path"], name="area_level_path"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(grid_kind="") | Q(level=Level.GRID), name="area_grid_kind_only_on_grids"
            ),
            models.CheckConstraint(
                condition=Q(dedicated_type="") | Q(grid_kind="dedicated"),
                name="area_dedicated_type_only_on_dedicated",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        if self.level == Level.GRID and self.grid_kind:
            return self.get_grid_kind_display()
        return self.get_level_display()

    def community(self) -> Area | None:
        """The community or village this area lies in (itself at that level); None above."""
        if self.level in (Level.COMMUNITY, Level.VILLAGE):
            return self
        if self.depth > 3:
            return Area.objects.filter(path=self.path[: 3 * self.steplen]).first()
        return None

    @cached_property
    def geometry(self):
        return to_geometry(self.boundary) if self.boundary else None

    @cached_property
    def _doorstep(self):
        # ~10 m of slack: a phone's fix at a doorway on the grid line is still this grid.
        # Prepared once per area object, so checking a street's households does not buffer
        # the same polygon thousands of times.
        if self.geometry is None:
            return None
        buffered = self.geometry.buffer(1e-4)
        shapely.prepare(buffered)  # in place: the object still pickles like any geometry
        return buffered

    def holds_point(self, longitude: float, latitude: float) -> bool:
        """Whether the point lies in the area (with a doorstep's slack); True without a
        boundary, since nothing can be said then."""
        return self._doorstep is None or self._doorstep.contains(Point(longitude, latitude))

    def set_bbox(self) -> None:
        geometry = self.geometry
        if geometry is None:
            self.bbox_west = self.bbox_south = self.bbox_east = self.bbox_north = None
        else:
            self.bbox_west, self.bbox_south, self.bbox_east, self.bbox_north = geometry.bounds

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.level != Level.GRID and self.grid_kind:
            errors["grid_kind"] = _("Only grids have a grid kind.")
        if self.level == Level.GRID and not self.grid_kind:
            errors["grid_kind"] = _("Choose whether the grid is comprehensive or dedicated.")
        if self.grid_kind != Area.GridKind.DEDICATED and self.dedicated_type:
            errors["dedicated_type"] = _("Only dedicated grids have a dedicated type.")
        if self.grid_kind == Area.GridKind.DEDICATED and not self.dedicated_type:
            errors["dedicated_type"] = _("Say what the dedicated grid covers.")
        if self.boundary:
            try:
                validate_geometry(self.boundary)
            except ValidationError as exc:
                errors["boundary"] = exc.messages
        if errors:
            raise ValidationError(errors)


# --- People and posts -----------------------------------------------------------------------


class PostQuerySet(ScopedQuerySet):
    def active(self, on: dt.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on), started_on__lte=on)


class Post(models.Model):
    """A user's role at an area: the source of both what they may do and where."""

    Role = Role

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="posts",
        verbose_name=_("user"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="posts", verbose_name=_("area")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "area", "role"],
                condition=Q(ended_on__isnull=True),
                name="post_one_open_per_user_area_role",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="post_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["area", "role"], name="post_area_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"

    def is_active(self, on: dt.date | None = None) -> bool:
        """PostQuerySet.active for one post already in memory."""
        on = on or timezone.localdate()
        return self.started_on <= on and (self.ended_on is None or self.ended_on > on)

    def clean(self) -> None:
        super().clean()
        if self.area_id and self.role and self.area.level not in ROLE_LEVELS[self.role]:
            allowed = ", ".join(str(Level(level).label) for level in sorted(ROLE_LEVELS[self.role]))
            raise ValidationError(
                {
                    "area": _("A %(role)s is appointed at: %(levels)s.")
                    % {"role": self.get_role_display(), "levels": allowed}
                }
            )
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": _("A post cannot end before it starts.")})


# --- Households and residents ---------------------------------------------------------------


GRID_PATH_LENGTH = LEVEL_DEPTH[Level.GRID] * Area.steplen


def ancestor_paths(path: str) -> list[str]:
    """The paths of an area and every area above it, from the root down (no query)."""
    return [path[:end] for end in range(Area.steplen, len(path) + 1, Area.steplen)]


def household_q(paths: list[str] | None, via: str = "") -> Q:
    """Households under ``paths``, reached through ``via`` (e.g. ``"household__"``).

    A household lies in its micro-grid's grid, so only a micro-grid path needs the
    micro-grid; every other path matches on the grid alone (no OR across two joins).
    """
    if paths is None:
        return Q()
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        field = "micro_grid__path" if len(path) > GRID_PATH_LENGTH else "grid__path"
        condition |= Q(**{f"{via}{field}__startswith": path})
    return condition


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_HOUSEHOLDS):
        return self.filter(household_q(scope_paths(user, capability)))

    def under(self, area: Area):
        return self.filter(household_q([area.path]))


class Household(Versioned):
    """A household (户) at an address in a grid, optionally in one of its micro-grids."""

    def history_related(self):
        """Dependants whose audit entries belong on the household's page (core.history)."""
        return (
            Resident.objects.filter(household=self),
            ResidentCare.objects.filter(resident__household=self),
        )

    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("grid"),
        limit_choices_to={"level": Level.GRID},
    )
    micro_grid = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="micro_households",
        verbose_name=_("micro-grid"),
        limit_choices_to={"level": Level.MICRO_GRID},
    )
    # The district's own household number (户编号), the key a re-import finds a household by.
    number = models.CharField(
        _("household number"),
        max_length=40,
        blank=True,
        help_text=_("The number the district's household register gives this household."),
    )
    address = models.CharField(
        _("address"),
        max_length=200,
        help_text=_("Compound, building, unit and room, e.g. 幸福花园 3幢 2单元 501室."),
    )
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Kept by the visits app whenever a visit is logged, a care category changes or a
    # community's plan changes (grids tells it through grids.signals), so "due this week" is
    # an indexed range, not a computation.
    last_visited_at = models.DateTimeField(_("last visited"), null=True, blank=True, editable=False)
    visit_due_on = models.DateField(_("visit due"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["address", "pk"]
        indexes = [models.Index(fields=["grid", "visit_due_on"], name="household_visit_due")]
        constraints = [
            models.UniqueConstraint(fields=["grid", "address"], name="household_unique_address"),
            # Unique in the whole table, which is "per district": a deployment serves one
            # district (one root area), and a number must not be reused within it. Blank
            # numbers (households keyed by address only) may repeat.
            models.UniqueConstraint(
                fields=["number"],
                condition=~Q(number=""),
                name="household_unique_number",
                violation_error_message=_("Another household already has this number."),
            ),
            models.CheckConstraint(
                condition=(Q(longitude__isnull=True) & Q(latitude__isnull=True))
                | (Q(longitude__gte=-180, longitude__lte=180, latitude__gte=-90, latitude__lte=90)),
                name="household_coordinates_both_and_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def area(self) -> Area:
        return self.micro_grid or self.grid

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.grid_id and self.grid.level != Level.GRID:
            errors["grid"] = _("Choose a grid.")
        if (
            self.micro_grid_id
            and self.grid_id
            and (
                self.micro_grid.level != Level.MICRO_GRID
                or not self.micro_grid.path.startswith(self.grid.path)
            )
        ):
            errors["micro_grid"] = _("The micro-grid must lie in the household's grid.")
        if (self.longitude is None) != (self.latitude is None):
            errors["latitude"] = _("Give both longitude and latitude, or neither.")
        elif (
            self.longitude is not None
            and self.grid_id
            and not self.grid.holds_point(self.longitude, self.latitude)
        ):
            errors["longitude"] = _("This location lies outside %(grid)s.") % {
                "grid": self.grid.name
            }
        if errors:
            raise ValidationError(errors)


class ResidentQuerySet(EncryptedQuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_HOUSEHOLDS):
        return self.filter(household_q(scope_paths(user, capability), "household__"))


class CareCategory(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    EMPTY_NEST = "empty_nest", _("Empty-nest elderly")
    DISABLED = "disabled", _("Disabled")
    LOW_INCOME = "low_income", _("Low-income (minimum living allowance)")
    EXTREME_POVERTY = "extreme_poverty", _("Extreme poverty support")
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")
    SERIOUS_ILLNESS = "serious_illness", _("Serious illness")
    VETERAN = "veteran", _("Veteran")


class Resident(EncryptedModel, Versioned):
    """A person living in a household. ID number and mobile are sensitive."""

    # Masked again when the audit trail is shown on a page (core.history).
    history_masked = ("id_number", "phone")

    def history_related(self):
        """Its care categories belong on the resident's page too (core.history)."""
        return (ResidentCare.objects.filter(resident=self),)

    class Relationship(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        OTHER = "other", _("Other relative or tenant")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    class Status(models.TextChoices):
        LIVING = "living", _("Lives here")
        MOVED_OUT = "moved_out", _("Moved out")
        DECEASED = "deceased", _("Deceased")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="residents", verbose_name=_("household")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    # Encrypted at rest (core.fields): ``filter(id_number=…)`` and ``filter(phone=…)`` are
    # answered by the keyed hashes below, the last-4 search by ``phone_last4``.
    id_number = EncryptedCharField(
        _("ID number"),
        max_length=18,
        blank=True,
        validators=[validate_id_number],
        help_text=_("Resident identity card number, 18 characters."),
    )
    id_number_hash = DigestField(source="id_number", purpose="id_number", db_index=True)
    phone = EncryptedCharField(
        _("mobile number"), max_length=11, blank=True, validators=[validate_mobile]
    )
    phone_hash = DigestField(source="phone", purpose="mobile", db_index=True)
    phone_last4 = Last4Field(source="phone", db_index=True)
    relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, default=Relationship.HEAD
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.LIVING
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household_id", "pk"]
        indexes = [
            # Those who moved out or died are few and kept for a while (grids.retention): the
            # resident list finds them without walking everyone who lives here.
            models.Index(
                fields=["household"],
                condition=~Q(status="living"),
                name="resident_not_living",
            ),
        ]
        constraints = [
            # On the keyed hash: the same number has the same hash under one hash key.
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="resident_unique_id_number",
                violation_error_message=_("Another resident already has this ID number."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        # Normalise before the length and format validators see "+86 138-…" or a lower-case x.
        self.id_number = normalize_id_number(self.id_number)
        self.phone = normalize_mobile(self.phone)
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        if self.id_number and (
            Resident.objects.exclude(pk=self.pk).filter(id_number=self.id_number).exists()
        ):
            raise ValidationError({"id_number": _("Another resident already has this ID number.")})
        self.take_from_id_number()

    def take_from_id_number(self) -> None:
        """Set birth date and gender from the ID number (no query: bulk imports call this
        and check the number's uniqueness for all rows at once)."""
        if self.id_number and len(self.id_number) == 18:
            # The ID number is authoritative for birth date and sex (digit 17: odd = male).
            born = id_birth_date(self.id_number)
            if born:
                self.birth_date = born
            if self.id_number[16].isdigit():
                self.gender = (
                    self.Gender.MALE if int(self.id_number[16]) % 2 else self.Gender.FEMALE
                )

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone)

    def age(self, on: dt.date | None = None) -> int | None:
        if not self.birth_date:
            return None
        on = on or timezone.localdate()
        born = self.birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    @property
    def is_minor(self) -> bool:
        age = self.age()
        return age is not None and age < 18


class ResidentCareQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_HOUSEHOLDS):
        return self.filter(household_q(scope_paths(user, capability), "resident__household__"))


def care_token(value: str) -> str:
    """What the audit log keeps of a care category (auditlog's mask_callable): its token,
    as at rest; core.history reads it back for the page."""
    field = ResidentCare._meta.get_field("category")
    return field.get_prep_value(value) if value in field.tables()[1] else value


class ResidentCare(models.Model):
    """A care category a resident is in (独居老人, 残疾人, 低保户 …)."""

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="care", verbose_name=_("resident")
    )
    # A keyed token in the database (core.fields): filters and counts work on the choice.
    category = KeyedChoiceField(_("care category"), max_length=30, choices=CareCategory.choices)
    since = models.DateField(_("since"), default=timezone.localdate)

    objects = ResidentCareQuerySet.as_manager()

    class Meta:
        verbose_name = _("care category")
        verbose_name_plural = _("care categories")
        constraints = [
            models.UniqueConstraint(fields=["resident", "category"], name="resident_care_once"),
        ]

    def __str__(self) -> str:
        # Also what the audit log stores as the entry's name: the category stays out of it,
        # as it stays out of every column (a keyed token, core.fields); the history page
        # names it from the token.
        return f"{self.resident} · {self._meta.verbose_name}"


class RegisterMark(models.Model):
    """A change to what a grid's household and resident lists show, written by PostgreSQL
    itself (migration 0010's triggers on households, residents, their care categories and
    the grid tallies; visits' on places): the lists' version is how many marks the area's
    grids hold and the newest one's id (``grids.list_cache``). Rows are only ever inserted,
    so writers never wait for one another or for a batch job here; ``fold_register_marks``
    keeps about one row per grid and kind."""

    id = models.BigAutoField(primary_key=True)
    # No constraint: a mark must never make a write wait on, or fail over, its grid's row.
    grid = models.ForeignKey(
        Area, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # False for what only the visits page shows (a household's last visit and due date, a
    # place): each logged visit would otherwise throw away every kept list above its grid.
    listed = models.BooleanField(default=True, db_default=True)

    class Meta:
        verbose_name = _("register mark")
        verbose_name_plural = _("register marks")

    def __str__(self) -> str:
        return f"{self.grid_id} #{self.pk}"


class GridTally(models.Model):
    """Households and residents per grid, rolled up so that pages above a grid never
    aggregate raw rows. Refreshed for one grid after each write (on commit, by a Celery
    task) and for all grids by the periodic ``refresh_tallies`` job, which heals drift."""

    grid = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="tally",
        verbose_name=_("grid"),
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    residents = models.PositiveIntegerField(_("residents"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("grid tally")
        verbose_name_plural = _("grid tallies")

    def __str__(self) -> str:
        return f"{self.grid}: {self.households} / {self.residents}"


# --- Cover (AB岗): who stands in for a grid worker on leave -----------------------------------


class CoverQuerySet(ScopedQuerySet):
    area_path = "post__area__path"


class Cover(models.Model):
    """A grid worker's (A's) post and the colleague (B) who covers it while A is on leave.

    Nothing moves between them: while a ``Leave`` of A's holds, B reaches A's grid as A's post
    does (``grids.scope``) and hears about A's requests; when it ends, B stops (``grids.cover``).
    """

    post = models.OneToOneField(
        Post, on_delete=models.CASCADE, related_name="cover", verbose_name=_("covered post")
    )
    covered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="covers",
        verbose_name=_("covered by"),
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CoverQuerySet.as_manager()

    class Meta:
        verbose_name = _("cover")
        verbose_name_plural = _("covers")

    def __str__(self) -> str:
        return f"{self.post} ← {self.covered_by}"


class Leave(models.Model):
    """A grid worker's leave: from ``starts_on`` to ``ends_on``, both days included."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="leaves",
        verbose_name=_("user"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leaves")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="leave_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["user", "starts_on"], name="leave_user_start")]

    def __str__(self) -> str:
        return f"{self.user} · {self.starts_on} – {self.ends_on}"

    def has_begun(self, on: dt.date | None = None) -> bool:
        return self.starts_on <= (on or timezone.localdate())

    def is_over(self, on: dt.date | None = None) -> bool:
        return self.ends_on < (on or timezone.localdate())

    def clean(self) -> None:
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("Leave cannot end before it starts.")})
        if self.user_id and self.starts_on and self.ends_on:
            overlapping = Leave.objects.filter(
                user_id=self.user_id, starts_on__lte=self.ends_on, ends_on__gte=self.starts_on
            ).exclude(pk=self.pk)
            if overlapping.exists():
                raise ValidationError(
                    _("%(user)s already has leave overlapping these dates.") % {"user": self.user}
                )


class ExportKind(models.TextChoices):
    """The list exports that carry personal data (grids/exports.py)."""

    RESIDENTS = "residents", _("Residents")
    REQUESTS = "requests", _("Requests")
    VISITS = "visits", _("Visits")
    SCREENING = "screening", _("Dispute screening")


class ExportApprovalQuerySet(models.QuerySet):
    def to_decide_by(self, user):
        """Requests ``user`` may decide: where they export one level up, never their own."""
        paths = scope_paths(user, TerritoryCapability.EXPORT)
        return self.filter(path_q(paths, "approver_area__path")).exclude(requester=user)


class ExportApproval(models.Model):
    """A large list export of personal data, asked for by ``requester`` and decided by an
    officer of ``approver_area`` (the export's area one level up; the district's own for a
    district-wide list). Approved, it can be downloaded by the requester until ``expires``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        EXPIRED = "expired", _("Expired")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="export_requests",
        verbose_name=_("requested by"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    approver_area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved at")
    )
    kind = models.CharField(_("export"), max_length=20, choices=ExportKind.choices)
    # The export's own address and filters: the download link, without naming the app.
    path = models.CharField(_("address"), max_length=200)
    query = models.CharField(_("filters"), max_length=500, blank=True)
    rows = models.PositiveIntegerField(_("rows"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)

    objects = ExportApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("export approval")
        verbose_name_plural = _("export approvals")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["requester", "kind", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.area}"

    @property
    def state(self) -> str:
        """The status, with an approval past its time read as expired."""
        if self.status == self.Status.APPROVED and self.expires and self.expires <= timezone.now():
            return self.Status.EXPIRED
        return self.status

    def get_state_display(self) -> str:
        return str(self.Status(self.state).label)

    @property
    def usable(self) -> bool:
        return self.state == self.Status.APPROVED

    def download_url(self) -> str:
        query = f"{self.query}&" if self.query else ""
        return f"{self.path}?{query}approval={self.pk}"
