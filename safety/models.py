"""Safety patrols (安全隐患排查, "网格+安全"): the district's checklist per kind of place, how
often each kind is patrolled, the patrols, their answers, and the hazards a failed answer
leaves behind until a re-check closes them.

Places are visits' (``visits.models.Place``): a patrol here is the checklist walk of one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import PrivatePhoto
from grids.models import Area
from grids.scope import ScopedQuerySet
from visits.models import Place, PlaceKind

# Days between two patrols of a place of each kind, when the district has set none.
DEFAULT_INTERVALS = {
    PlaceKind.ENTERPRISE: 30,
    PlaceKind.SHOP: 60,
    PlaceKind.PUBLIC: 90,
    PlaceKind.HAZARD: 30,
}
# Days to fix a hazard found on a patrol, by severity, unless the patrol says otherwise.
DEFAULT_FIX_DAYS = {"normal": 7, "major": 1}


class Category(models.TextChoices):
    FIRE = "fire", _("Fire safety")
    GAS = "gas", _("Gas")
    ELECTRICITY = "electricity", _("Electricity")
    ESCAPE = "escape", _("Escape routes")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    MAJOR = "major", _("Major (重大隐患)")


class ChecklistItem(models.Model):
    """One line of the checklist a place of ``place_kind`` is patrolled with, set by the
    district in the admin. Retired lines stay (old answers point at them): ``active`` off."""

    place_kind = models.CharField(_("kind of place"), max_length=20, choices=PlaceKind.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    text = models.CharField(_("item"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    photo_on_fail = models.BooleanField(_("photo required when failed"), default=False)
    # A failure of this item is a major hazard (重大隐患): it goes to the department too.
    major = models.BooleanField(_("failure is a major hazard"), default=False)
    matter = models.ForeignKey(
        "tickets.Matter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("matter of the request for a major hazard"),
        help_text=_("Empty: the Emergency Management Bureau's first safety matter."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["place_kind", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.get_place_kind_display()} · {self.text}"


class PatrolPlan(models.Model):
    """How often places of one kind are patrolled (the district's, in the admin)."""

    place_kind = models.CharField(
        _("kind of place"), max_length=20, choices=PlaceKind.choices, unique=True
    )
    interval_days = models.PositiveSmallIntegerField(
        _("days between patrols"), validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("patrol interval")
        verbose_name_plural = _("patrol intervals")
        ordering = ["place_kind"]

    def __str__(self) -> str:
        return f"{self.get_place_kind_display()}: {self.interval_days}"


def intervals() -> dict[str, int]:
    """Days between patrols for every kind of place (one query)."""
    return {
        **{str(k): v for k, v in DEFAULT_INTERVALS.items()},
        **dict(PatrolPlan.objects.values_list("place_kind", "interval_days")),
    }


class PatrolQuerySet(ScopedQuerySet):
    area_path = "grid__path"


class Patrol(models.Model):
    """One walk of a place's checklist by one person."""

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="safety_patrols", verbose_name=_("place")
    )
    # The place's grid when patrolled: scoping and the figures group by it.
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="safety_patrols", verbose_name=_("grid")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="safety_patrols",
        verbose_name=_("patrolled by"),
    )
    at = models.DateTimeField(_("patrolled"), default=timezone.now)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    passed = models.PositiveSmallIntegerField(_("items passed"), default=0)
    failed = models.PositiveSmallIntegerField(_("items failed"), default=0)

    objects = PatrolQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety patrol")
        verbose_name_plural = _("safety patrols")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["grid", "at"], name="safety_patrol_grid_at")]

    def __str__(self) -> str:
        return f"{self.place} · {self.at:%Y-%m-%d}"


class PatrolAnswer(models.Model):
    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="answers", verbose_name=_("patrol")
    )
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="answers", verbose_name=_("item")
    )
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("patrol answer")
        verbose_name_plural = _("patrol answers")
        ordering = ["item__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["patrol", "item"], name="safety_answer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item.text}: {'✓' if self.passed else '✗'}"

    def clean(self) -> None:
        if not self.passed and not self.note.strip():
            raise ValidationError({"note": _("Say what is wrong.")})


class PatrolPhotoQuerySet(ScopedQuerySet):
    area_path = "answer__patrol__grid__path"


class PatrolPhoto(PrivatePhoto):
    photo_folder = "safety"

    answer = models.ForeignKey(
        PatrolAnswer, on_delete=models.CASCADE, related_name="photos", verbose_name=_("answer")
    )

    objects = PatrolPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol photo")
        verbose_name_plural = _("patrol photos")

    def __str__(self) -> str:
        return self.image.name


class HazardQuerySet(ScopedQuerySet):
    area_path = "grid__path"

    def unresolved(self):
        return self.exclude(status=Hazard.Status.CLOSED)

    def overdue(self, today: dt.date | None = None):
        return self.filter(status=Hazard.Status.OPEN, fix_by__lt=today or timezone.localdate())


class Hazard(models.Model):
    """A failed checklist item, until fixed and re-checked.

    open → fixed (the party says it is fixed; awaiting the re-check) → closed (re-check
    passed); a failed re-check opens it again with a new fix-by date (a new ``round``). An
    open hazard past its date escalates by ``escalation_level`` (the sweep): 1 the grid and
    the community are told, 2 the street."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FIXED = "fixed", _("Fixed, awaiting re-check")
        CLOSED = "closed", _("Closed (re-check passed)")

    notification_tag = "hz"

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="hazards", verbose_name=_("place")
    )
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("grid")
    )
    answer = models.OneToOneField(
        PatrolAnswer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hazard",
        verbose_name=_("found on"),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.CharField(_("description"), max_length=500)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL
    )
    responsible_name = models.CharField(_("responsible party"), max_length=100, blank=True)
    responsible_phone = models.CharField(_("responsible party's phone"), max_length=20, blank=True)
    found_at = models.DateTimeField(_("found"), default=timezone.now)
    fix_by = models.DateField(_("fix by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    fixed_at = models.DateTimeField(_("reported fixed"), null=True, blank=True)
    fixed_note = models.CharField(_("what was done"), max_length=500, blank=True)
    rechecked_at = models.DateTimeField(_("re-checked"), null=True, blank=True)
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("re-checked by"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request to the department"),
    )

    objects = HazardQuerySet.as_manager()

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["fix_by", "pk"]
        indexes = [
            models.Index(fields=["grid", "status"], name="safety_hazard_grid_status"),
            models.Index(
                fields=["next_check_at"],
                name="safety_hazard_due",
                condition=Q(next_check_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} · {self.description}"

    @property
    def area(self) -> Area:
        return self.grid

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.status == self.Status.OPEN and self.fix_by < (today or timezone.localdate())

    def masked_phone(self) -> str:
        phone = self.responsible_phone
        return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 11 else ("****" if phone else "")

    def clean(self) -> None:
        if self.grid_id and self.place_id and self.place.grid_id != self.grid_id:
            raise ValidationError({"grid": _("A hazard lies in its place's grid.")})
