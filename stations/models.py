"""Service stations (阵地): centres, grid stations, rider rest stops, and what happens there.

"一中心多站点": one party-and-public service centre per community or village, many
stations below it. Every station has a stable code, serves one area (a grid, or a
community/village), stands at a point inside that area, and is inspected against the
"四有三规范" standard.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point

from core.concurrency import Versioned
from core.images import private_storage
from core.models import PrivatePhoto, photo_path
from core.personal import normalize_phone, validate_phone
from grids.models import Area, code_validator
from grids.roles import Level
from grids.scope import ScopedQuerySet

# ~10 m of slack, as for households: a fix at a doorway on the boundary is still inside.
BOUNDARY_SLACK_DEG = 1e-4


# --- Catalogues: data, so each entry carries both languages ---------------------------------


class CatalogueEntry(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(
        _("offered"), default=True, help_text=_("Retired entries stay on old records only.")
    )

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        chinese = (get_language() or "").lower().startswith("zh")
        return (self.name_zh if chinese else self.name_en) or self.name_en or self.name_zh


class ServiceType(CatalogueEntry):
    """A service a station offers: party affairs 党务, government services 政务, mediation …"""

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("service")
        verbose_name_plural = _("services catalogue")


class Facility(CatalogueEntry):
    """An item of the facility checklist ("十有" / "八个一"): water, charging, first aid …"""

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("facility")
        verbose_name_plural = _("facilities catalogue")


# --- Stations ---------------------------------------------------------------------------------


class Kind(models.TextChoices):
    CENTRE = "centre", _("Party-and-public service centre")
    GRID_STATION = "grid_station", _("Grid station")
    RIDER_STOP = "rider_stop", _("Rider rest stop")
    OTHER = "other", _("Other station")


# Which areas each kind may serve.
KIND_LEVELS: dict[str, frozenset[str]] = {
    Kind.CENTRE: frozenset({Level.COMMUNITY, Level.VILLAGE}),
    Kind.GRID_STATION: frozenset({Level.GRID}),
    Kind.RIDER_STOP: frozenset({Level.GRID, Level.COMMUNITY, Level.VILLAGE}),
    Kind.OTHER: frozenset({Level.GRID, Level.COMMUNITY, Level.VILLAGE}),
}
STATION_LEVELS = frozenset({Level.GRID, Level.COMMUNITY, Level.VILLAGE})


class ByStationQuerySet(ScopedQuerySet):
    """Rows that belong to a station are seen by whoever may see the station."""

    area_path = "station__area__path"


class StationQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(is_open=True)

    def under(self, area: Area):
        """Stations serving ``area`` or any area below it."""
        return self.filter(area__path__startswith=area.path)

    def with_standing(self):
        """Annotate the latest inspection's date and whether it passed all seven items."""
        latest = Inspection.objects.filter(station=OuterRef("pk")).order_by("-inspected_on", "-pk")
        return self.annotate(
            last_inspected_on=Subquery(latest.values("inspected_on")[:1]),
            standardised=Coalesce(
                Subquery(latest.values("passed")[:1]),
                Value(False),
                output_field=models.BooleanField(),
            ),
        )


class Station(Versioned):
    Kind = Kind

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        validators=[code_validator],
        help_text=_("Stable code for links, QR posters and reports; never reused."),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("The standard name on the sign, e.g. 幸福社区党群服务中心."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="stations",
        verbose_name=_("serves"),
        help_text=_("The grid, or for a centre the community or village, that it serves."),
        limit_choices_to={"level__in": sorted(STATION_LEVELS)},
    )
    # Where it stands: the grid whose boundary holds its point. Derived on every save.
    grid = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="stations_standing",
        verbose_name=_("stands in grid"),
    )
    address = models.CharField(_("address"), max_length=200)
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=200,
        blank=True,
        help_text=_("As residents should read it, e.g. Mon–Fri 8:30–17:30, Sat 9:00–12:00."),
    )
    phone = models.CharField(
        _("station phone"),
        max_length=20,
        blank=True,
        validators=[validate_phone],
        help_text=_("The station's own number, shown publicly: never a person's mobile."),
    )
    description = models.TextField(_("description"), blank=True)
    services = models.ManyToManyField(
        ServiceType, blank=True, related_name="stations", verbose_name=_("services offered")
    )
    facilities = models.ManyToManyField(
        Facility, blank=True, related_name="stations", verbose_name=_("facilities")
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="StationStaff",
        blank=True,
        related_name="stations_on_duty",
        verbose_name=_("staff on duty"),
    )
    is_open = models.BooleanField(
        _("open"), default=True, help_text=_("Closed stations leave the directory and coverage.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StationQuerySet.as_manager()

    class Meta:
        verbose_name = _("service station")
        verbose_name_plural = _("service stations")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(kind="centre", is_open=True),
                name="station_one_open_centre_per_area",
                violation_error_message=_("This community already has an open service centre."),
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180, latitude__gte=-90)
                & Q(latitude__lte=90),
                name="station_coordinates_in_range",
            ),
        ]
        indexes = [models.Index(fields=["is_open", "kind"], name="station_open_kind")]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        self.phone = normalize_phone(self.phone)
        super().clean_fields(exclude)

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, object] = {}
        area = self.area if self.area_id else None
        if area is not None and self.kind in KIND_LEVELS:
            allowed = KIND_LEVELS[self.kind]
            if area.level not in allowed:
                errors["area"] = _("A %(kind)s serves a %(levels)s, not a %(level)s.") % {
                    "kind": Kind(self.kind).label.lower(),
                    "levels": " / ".join(
                        str(Level(level).label).lower() for level in sorted(allowed)
                    ),
                    "level": area.get_level_display().lower(),
                }
        if (
            area is not None
            and "area" not in errors
            and self.longitude is not None
            and self.latitude is not None
            and area.geometry is not None
            and not area.geometry.buffer(BOUNDARY_SLACK_DEG).contains(
                Point(self.longitude, self.latitude)
            )
        ):
            errors["longitude"] = _("This location lies outside %(area)s.") % {"area": area.name}
        if (
            area is not None
            and self.kind == Kind.CENTRE
            and self.is_open
            and Station.objects.filter(area=area, kind=Kind.CENTRE, is_open=True)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["kind"] = _("%(area)s already has an open service centre.") % {"area": area.name}
        if errors:
            raise ValidationError(errors)


class StationStaff(models.Model):
    """A person on duty at a station. Their name is shown publicly, their phone never."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="duties", verbose_name=_("station")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="station_duties",
        verbose_name=_("person"),
    )
    duty = models.CharField(
        _("when on duty"), max_length=100, blank=True, help_text=_("e.g. Mon and Wed mornings")
    )

    objects = ByStationQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff on duty")
        verbose_name_plural = _("staff on duty")
        ordering = ["station", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["station", "user"], name="station_staff_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.station}"

    @property
    def public_name(self) -> str:
        """What residents see: the display name (never the user name or a phone)."""
        return self.user.display_name or self.user.get_full_name() or _("Staff member")


class StationPhoto(PrivatePhoto):
    """A photo of the station itself, shown on its public page."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="photos", verbose_name=_("station")
    )
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = ByStationQuerySet.as_manager()

    class Meta:
        verbose_name = _("station photo")
        verbose_name_plural = _("station photos")
        ordering = ["station", "pk"]

    def __str__(self) -> str:
        return self.caption or f"{self.station} #{self.pk}"


# --- Standardisation: "四有三规范" ------------------------------------------------------------


class Item(models.TextChoices):
    # 四有: four things a station has.
    STAFF_DISPLAY = "staff_display", _("Staff on public display")
    GRID_MAP = "grid_map", _("Grid map")
    DUTIES = "duties", _("Duties posted")
    PARTY_ELEMENTS = "party_elements", _("Party elements")
    # 三规范: three norms.
    STANDARD_NAME = "standard_name", _("Standard name")
    SIGN = "sign", _("Sign")
    PLAQUE = "plaque", _("Plaque")


FOUR_HAVES = (Item.STAFF_DISPLAY, Item.GRID_MAP, Item.DUTIES, Item.PARTY_ELEMENTS)
THREE_NORMS = (Item.STANDARD_NAME, Item.SIGN, Item.PLAQUE)


class Inspection(models.Model):
    """One standardisation inspection; the latest decides whether a station is standardised."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="inspections", verbose_name=_("station")
    )
    inspected_on = models.DateField(_("inspected on"), default=timezone.localdate)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inspector"),
    )
    passed = models.BooleanField(_("all seven passed"), default=False, editable=False)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ByStationQuerySet.as_manager()

    class Meta:
        verbose_name = _("standardisation inspection")
        verbose_name_plural = _("standardisation inspections")
        ordering = ["-inspected_on", "-pk"]
        indexes = [
            models.Index(fields=["station", "-inspected_on", "-id"], name="inspection_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.station} · {self.inspected_on}"

    def clean(self) -> None:
        super().clean()
        if self.inspected_on and self.inspected_on > timezone.localdate():
            raise ValidationError({"inspected_on": _("An inspection cannot be in the future.")})


class ItemQuerySet(ScopedQuerySet):
    area_path = "inspection__station__area__path"


class InspectionItem(models.Model):
    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="items", verbose_name=_("inspection")
    )
    item = models.CharField(_("item"), max_length=20, choices=Item.choices)
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    photo = models.FileField(_("photo"), storage=private_storage, upload_to=photo_path, blank=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection item")
        verbose_name_plural = _("inspection items")
        ordering = ["inspection", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {'✓' if self.passed else '✗'}"


# --- Activities and people served -------------------------------------------------------------


class ActivityKind(models.TextChoices):
    PARTY_DAY = "party_day", _("Party day or party lesson")
    VOLUNTEER = "volunteer", _("Volunteer service")
    CONSULTATION = "consultation", _("Consultation (legal, health, policy)")
    LECTURE = "lecture", _("Lecture or training")
    CULTURE = "culture", _("Culture and sports")
    FESTIVAL = "festival", _("Festival event")
    MEETING = "meeting", _("Residents' meeting")
    OTHER = "other", _("Other")


class Activity(models.Model):
    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="activities", verbose_name=_("station")
    )
    held_on = models.DateField(_("date"), default=timezone.localdate)
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    attendance = models.PositiveIntegerField(
        _("attendance"), validators=[MaxValueValidator(100_000)]
    )
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ByStationQuerySet.as_manager()

    class Meta:
        verbose_name = _("station activity")
        verbose_name_plural = _("station activities")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["station", "-held_on"], name="activity_station_date")]

    def __str__(self) -> str:
        return f"{self.held_on} · {self.title}"

    def clean(self) -> None:
        super().clean()
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": _("Log an activity once it has taken place.")})


class ActivityPhotoQuerySet(ScopedQuerySet):
    area_path = "activity__station__area__path"


class ActivityPhoto(PrivatePhoto):
    """Photos of an event may show residents: staff only, never on public pages."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="photos", verbose_name=_("activity")
    )

    objects = ActivityPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["activity", "pk"]

    def __str__(self) -> str:
        return f"{self.activity} #{self.pk}"


class MonthlyServed(models.Model):
    """People served at a station in one month (the first day of the month stands for it)."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="served", verbose_name=_("station")
    )
    month = models.DateField(_("month"))
    people = models.PositiveIntegerField(_("people served"), validators=[MaxValueValidator(10**7)])
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ByStationQuerySet.as_manager()

    class Meta:
        verbose_name = _("people served per month")
        verbose_name_plural = _("people served per month")
        ordering = ["station", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["station", "month"], name="served_once_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="served_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.station} · {self.month:%Y-%m}: {self.people}"

    def clean(self) -> None:
        super().clean()
        if self.month:
            self.month = self.month.replace(day=1)
            if self.month > timezone.localdate():
                raise ValidationError({"month": _("This month has not begun yet.")})


def format_phone(value: str) -> str:
    """Stored digits as people write them: 0519-8888 6666, 010-6555 1234, 138 0013 8000."""
    if not value or not value.isdigit():
        return value or ""
    if value.startswith("1") and len(value) == 11:
        return f"{value[:3]} {value[3:7]} {value[7:]}"
    if value.startswith("0"):
        # Beijing (010) and the 02x cities have 3-digit area codes; the rest have 4.
        split = 3 if value[1] in "12" else 4
        area, number = value[:split], value[split:]
        return f"{area}-{number[:-4]} {number[-4:]}" if len(number) > 4 else f"{area}-{number}"
    return value
