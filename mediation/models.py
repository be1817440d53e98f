"""Mediation of disputes (矛盾纠纷调解): a case in a grid, its parties, the steps taken, the
outcome, and the visit that follows it up 30 days after it is closed.

A case is open when recorded, mediating from its first step, closed with an outcome. Its
parties may be residents or outsiders; their mobile numbers are shown masked except on the
case's page to those who may see full numbers (and that is audited).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.concurrency import Versioned
from core.fields import DigestField, EncryptedCharField, EncryptedModel, EncryptedQuerySet
from core.images import private_storage
from core.models import photo_path
from core.personal import mask_mobile, normalize_mobile, validate_mobile
from grids.models import Area, Household, Resident
from grids.roles import COMMUNITY_LEVELS, Level
from grids.scope import ScopedQuerySet

# The follow-up visit falls due this many days after the case is closed.
FOLLOW_UP_DAYS = 30


class DisputeType(models.TextChoices):
    NEIGHBOURS = "neighbours", _("Neighbours (邻里纠纷)")
    FAMILY = "family", _("Marriage and family (婚姻家庭)")
    PROPERTY = "property", _("Property management (物业纠纷)")
    LABOUR = "labour", _("Labour (劳动争议)")
    LAND = "land", _("Land and forest (土地山林)")
    OTHER = "other", _("Other (其他)")


class Risk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    MEDIATING = "mediating", _("Mediating")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    AGREEMENT = "agreement", _("Agreement reached")
    NO_AGREEMENT = "no_agreement", _("No agreement")
    COURT = "court", _("Referred to the court")
    POLICE = "police", _("Referred to the police")


REFERRALS = (Outcome.COURT, Outcome.POLICE)


class StudioQuerySet(ScopedQuerySet):
    area_path = "area__path"


class Studio(models.Model):
    """A mediation studio (调解工作室) of a community or a street, e.g. 百家微解工作室."""

    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="studios", verbose_name=_("area")
    )
    active = models.BooleanField(_("active"), default=True)

    objects = StudioQuerySet.as_manager()

    class Meta:
        verbose_name = _("mediation studio")
        verbose_name_plural = _("mediation studios")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.area_id and self.area.level not in (*COMMUNITY_LEVELS, Level.STREET, Level.TOWN):
            raise ValidationError({"area": _("A studio belongs to a community or a street.")})


class CaseQuerySet(ScopedQuerySet):
    area_path = "grid__path"

    def open(self):
        return self.exclude(status=Status.CLOSED)

    def follow_up_overdue(self, today: dt.date):
        return self.filter(
            status=Status.CLOSED, followed_up_at__isnull=True, follow_up_due__lt=today
        )


class Case(Versioned):
    photo_folder = "mediation"
    # Names cases in notification keys: never changes once chosen.
    notification_tag = "m"

    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="mediation_cases",
        verbose_name=_("grid"),
        limit_choices_to={"level": Level.GRID},
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mediation_cases",
        verbose_name=_("household"),
    )
    type = models.CharField(_("type of dispute"), max_length=20, choices=DisputeType.choices)
    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices)
    summary = models.TextField(_("what the dispute is about"), max_length=2000)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_cases",
        verbose_name=_("mediator"),
    )
    studio = models.ForeignKey(
        Studio,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("studio"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    agreement_text = models.TextField(_("text of the agreement"), max_length=5000, blank=True)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    signed_copy = models.ImageField(
        _("signed copy (photo)"),
        storage=private_storage,
        upload_to=photo_path,
        blank=True,
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    follow_up_due = models.DateField(_("follow-up visit due"), null=True, blank=True)
    follow_up_visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up visit"),
    )
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    follow_up_notes = models.TextField(_("follow-up notes"), max_length=2000, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("mediation case")
        verbose_name_plural = _("mediation cases")
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["grid", "opened_at"], name="mediation_grid_opened"),
            models.Index(fields=["status", "follow_up_due"], name="mediation_follow_up"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} · {self.opened_at:%Y-%m-%d}"

    @property
    def area(self) -> Area:
        return self.grid

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    def follow_up_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return bool(
            self.is_closed
            and self.followed_up_at is None
            and self.follow_up_due
            and self.follow_up_due < today
        )

    def clean(self) -> None:
        errors = {}
        if self.grid_id and self.grid.level != Level.GRID:
            errors["grid"] = _("Choose a grid.")
        if self.household_id and self.grid_id and self.household.grid_id != self.grid_id:
            errors["household"] = _("The household is not in this grid.")
        if self.studio_id and self.grid_id and not self.grid.path.startswith(self.studio.area.path):
            errors["studio"] = _("The studio does not serve this grid.")
        if self.status == Status.CLOSED:
            if not self.outcome:
                errors["outcome"] = _("Say how the case ended.")
            elif self.outcome == Outcome.AGREEMENT and not self.agreement_text.strip():
                errors["agreement_text"] = _("An agreement needs its text.")
            elif self.outcome in REFERRALS and not self.referred_to.strip():
                errors["referred_to"] = _("Say to whom the case was referred.")
        elif self.outcome:
            errors["outcome"] = _("Only a closed case has an outcome.")
        if errors:
            raise ValidationError(errors)

    def close(self, *, outcome: str, by, agreement_text: str = "", referred_to: str = "", now=None):
        """Set the outcome and the follow-up date (the service checks and saves)."""
        now = now or timezone.now()
        self.status = Status.CLOSED
        self.outcome = outcome
        self.agreement_text = agreement_text.strip() if outcome == Outcome.AGREEMENT else ""
        self.referred_to = referred_to.strip() if outcome in REFERRALS else ""
        self.closed_at = now
        self.closed_by = by
        self.follow_up_due = timezone.localdate(now) + dt.timedelta(days=FOLLOW_UP_DAYS)


class Party(EncryptedModel):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        RESPONDENT = "respondent", _("Respondent")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="parties", verbose_name=_("case")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    name = models.CharField(_("name"), max_length=100)
    # Encrypted at rest; ``filter(phone=…)`` is answered by ``phone_hash`` (core.fields): the
    # printout of what is held about a resident finds their disputes by their mobile.
    phone = EncryptedCharField(
        _("mobile number"), max_length=11, blank=True, validators=[validate_mobile]
    )
    phone_hash = DigestField(source="phone", purpose="mobile", db_index=True)
    resident = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )

    objects = EncryptedQuerySet.as_manager()

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["role", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        self.phone = normalize_mobile(self.phone)
        super().clean_fields(exclude)

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone)


class Step(models.Model):
    class Kind(models.TextChoices):
        TALK = "talk", _("Talk with a party")
        JOINT = "joint", _("Joint session")
        SITE = "site", _("Site visit")
        OTHER = "other", _("Other")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="steps", verbose_name=_("case")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    notes = models.TextField(_("notes"), max_length=2000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": _("A step cannot be in the future.")})
        if self.date and self.case_id and self.date < timezone.localdate(self.case.opened_at):
            raise ValidationError({"date": _("A step cannot be before the case was opened.")})
