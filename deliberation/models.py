"""议事协商: a topic residents raise, the meeting that weighs it, the vote, the decision and its
public notice (公示) with an objection period, and the 实事 project that follows, which
residents review in public (亮晒评).

A topic belongs to a community (the community hosts the "有事好商量" room); the grid it comes
from is kept when known, for the figures and the worker who raised it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedCharField
from core.models import PrivatePhoto
from core.personal import mask_mobile
from grids.models import Area
from grids.scope import ScopedQuerySet

OBJECTION_DAYS = 7


def phone_digest(phone: str) -> str:
    """One resident, one rating: the number itself is never stored with the rating."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{phone}".encode()).hexdigest()


class TopicQuerySet(ScopedQuerySet):
    area_path = "community__path"


class Topic(models.Model):
    class Channel(models.TextChoices):
        PUBLIC = "public", _("Raised by a resident online")
        WORKER = "worker", _("Raised by a grid worker for residents")

    class Status(models.TextChoices):
        RAISED = "raised", _("Raised")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        SCHEDULED = "scheduled", _("Meeting held")
        DECIDED = "decided", _("Decided (public notice)")
        FOLLOW_UP = "follow_up", _("In follow-up")
        DONE = "done", _("Done")

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="deliberation_topics"
    )
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=2000)
    raised_by_name = models.CharField(_("raised by"), max_length=50, blank=True)
    # Encrypted at rest (core.fields); never looked up, so no hash column.
    raised_by_phone = EncryptedCharField(_("mobile number"), max_length=24, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RAISED)
    decline_reason = models.CharField(_("reason"), max_length=300, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Follow-up by the request workflow: the request that carries out the decision.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return self.title

    # Names topics in notification keys (notifications/notify.py): never changes once chosen.
    notification_tag = "dt"

    @property
    def area(self) -> Area:
        """Where the topic lies, for the group robots that hear of it: its community."""
        return self.community

    def masked_phone(self) -> str:
        return mask_mobile(self.raised_by_phone)

    @property
    def is_public(self) -> bool:
        """What the public page lists: anything accepted and not declined."""
        return self.status not in (self.Status.RAISED, self.Status.DECLINED)


class Meeting(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField(_("held on"))
    place = models.CharField(
        _("place"), max_length=100, help_text=_("For example: “有事好商量”协商议事室, 红色议事厅")
    )
    residents = models.PositiveIntegerField(_("residents"), default=0)
    party_members = models.PositiveIntegerField(_("party members"), default=0)
    property_company = models.PositiveIntegerField(_("property company"), default=0)
    co_building_units = models.PositiveIntegerField(_("co-building units"), default=0)
    participant_names = models.TextField(_("participants' names (optional)"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.place}"

    @property
    def participants(self) -> int:
        return self.residents + self.party_members + self.property_company + self.co_building_units


class Option(models.Model):
    class Method(models.TextChoices):
        HANDS = "hands", _("Show of hands")
        PAPER = "paper", _("Paper ballot")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="options")
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="options", null=True, blank=True
    )
    text = models.CharField(_("option"), max_length=200)
    votes_for = models.PositiveIntegerField(_("for"), default=0)
    votes_against = models.PositiveIntegerField(_("against"), default=0)
    abstain = models.PositiveIntegerField(_("abstain"), default=0)
    method = models.CharField(
        _("vote"), max_length=10, choices=Method.choices, default=Method.HANDS
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def votes(self) -> int:
        return self.votes_for + self.votes_against + self.abstain

    def clean(self):
        if self.meeting_id and self.votes > self.meeting.participants:
            raise ValidationError(
                _("%(n)s votes on one option, but only %(p)s took part in the meeting.")
                % {"n": self.votes, "p": self.meeting.participants}
            )


class Decision(models.Model):
    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="decision")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("decision"), max_length=2000)
    published_at = models.DateTimeField(default=timezone.now)
    objections_until = models.DateField(_("objections until"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.text[:60]

    def in_notice_period(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return today <= self.objections_until


class Objection(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="objections")
    name = models.CharField(_("your name"), max_length=50, blank=True)
    phone = EncryptedCharField(_("mobile number"), max_length=24)  # at rest (core.fields)
    text = models.TextField(_("objection"), max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]

    def masked_phone(self) -> str:
        return mask_mobile(self.phone)


class ProjectQuerySet(ScopedQuerySet):
    area_path = "topic__community__path"


class Project(models.Model):
    """实事项目: the work a decision becomes, with its budget, progress and the residents'
    review once completed (亮晒评)."""

    class Funding(models.TextChoices):
        COMMUNITY = "community", _("Community fund (为民服务专项经费)")
        STREET = "street", _("Street / government budget")
        MAINTENANCE = "maintenance", _("Housing maintenance fund (维修基金)")
        CO_BUILDING = "co_building", _("Co-building units")
        RESIDENTS = "residents", _("Residents' contributions")

    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="project")
    title = models.CharField(_("title"), max_length=120)
    budget = models.DecimalField(
        _("budget (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    funding = models.CharField(_("funding source"), max_length=12, choices=Funding.choices)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def completed(self) -> bool:
        return self.completed_on is not None

    def completion_photos(self) -> list:
        """The finished work's photos, read from ``photos`` (prefetch it for lists)."""
        return [p for p in self.photos.all() if p.kind == ProjectPhoto.Kind.COMPLETION]


class ProgressUpdate(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField(_("date"))
    percent = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MaxValueValidator(100)]
    )
    note = models.CharField(_("note"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"{self.on} {self.percent}%"


class ProjectPhoto(PrivatePhoto):
    """A photo of the work: with a progress update, or of the completed project. Kept in
    private storage like every photo; the public project page streams it through a view that
    checks the project is public (``public_views.project_photo``)."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress")
        COMPLETION = "completion", _("Completed work")

    photo_folder = "deliberation"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos")
    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_kind_display()}"


class Rating(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ratings")
    stars = models.PositiveSmallIntegerField(
        _("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    phone_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "phone_digest"], name="deliberation_one_rating_per_phone"
            ),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="deliberation_stars_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★"
