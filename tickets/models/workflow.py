"""Resident requests (工单): "群众点单、社区派单、党员接单".

A ticket moves through one state machine (tickets/services.py) and every move is an event on
its timeline; photos belong to the ticket and to the event that added them.
"""

from __future__ import annotations

import secrets

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.concurrency import Versioned
from core.fields import DigestField, EncryptedCharField, EncryptedModel, EncryptedQuerySet
from core.models import PrivatePhoto
from core.personal import mask_mobile, normalize_mobile, validate_mobile
from grids.models import Area, Household
from grids.policy import TerritoryCapability
from grids.roles import Level
from grids.scope import path_q, scope_paths
from notifications.models import Notification
from tickets.models.catalogue import Department, Matter


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    SUSPENDED = "suspended", _("Suspended")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", pgettext_lazy("ticket status", "Rejected")
    MERGED = "merged", _("Merged into another request")


OPEN_STATUSES = [
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.SUSPENDED,
]
FINAL_STATUSES = [Status.CLOSED, Status.REJECTED, Status.MERGED]
# Accepted and not yet resolved: the completion deadline runs.
ACTIVE_STATUSES = [Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS]


def is_overdue(status: str, response_due, completion_due, now=None) -> bool:
    """Past the deadline of the stage it is in: the response while submitted, the completion
    while being handled (``Ticket.overdue``; the board asks it of rows it has not loaded)."""
    now = now or timezone.now()
    if status == Status.SUBMITTED:
        return now > response_due
    if status in ACTIVE_STATUSES:
        return bool(completion_due and now > completion_due)
    return False


# The catalogue item of micro-wishes (微心愿): posted on a community's wish wall and claimed
# there by its members or co-building units.
WISH_MATTER = "micro_wish"


class Channel(models.TextChoices):
    QR = "qr", _("Resident (QR code)")
    FIELD = "field", _("Grid worker or member in the field")
    STAFF = "staff", _("Phone or walk-in, entered by staff")
    WISH = "wish", _("Micro-wish")
    SYSTEM = "system", _("System (sensor, 12345 hotline)")


def _tracking_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits in the link


_SHORT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone


def _short_code() -> str:
    return "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(8))


class TicketQuerySet(EncryptedQuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        """In the user's areas, or given to them or their department, or reported by them."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        in_department = Exists(
            Department.members.through.objects.filter(
                department_id=OuterRef("department_id"), user_id=user.pk
            )
        )
        # A department summoned on a request (co-handling, 吹哨报到) sees it, in every state.
        # (Its model is read from the registry: cohandling.py builds on this module.)
        Summons = apps.get_model("tickets", "Summons")
        summoned = Exists(
            Summons.objects.filter(
                ticket_id=OuterRef("pk"),
                department_id__in=Department.members.through.objects.filter(user_id=user.pk).values(
                    "department_id"
                ),
            )
        )
        return self.filter(
            path_q(scope_paths(user, capability), "area__path")
            | Q(assignee=user)
            | Q(reported_by=user)
            | Q(in_department)
            | Q(summoned)
        )

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(EncryptedModel, Versioned):
    """A resident's request from intake to the resident's review."""

    short_code = models.CharField(
        _("code"), max_length=8, unique=True, default=_short_code, editable=False
    )
    tracking_token = models.CharField(
        max_length=40, unique=True, default=_tracking_token, editable=False
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("matter")
    )
    description = models.TextField(_("description"), max_length=2000)
    address = models.CharField(_("location"), max_length=200, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("household"),
    )
    # Where the ticket lives: its grid, or the community's triage queue when no grid is known.
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("area"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("department"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    status_before_suspension = models.CharField(
        max_length=20, choices=Status.choices, blank=True, editable=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    # A co-building unit (共建单位) that took a micro-wish; community staff record its work.
    unit = models.ForeignKey(
        "branches.CoBuildingUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("co-building unit"),
    )
    reporter_name = models.CharField(_("your name"), max_length=50, blank=True)
    # Encrypted at rest; the public lookup finds it by ``reporter_phone_hash`` (core.fields).
    reporter_phone = EncryptedCharField(
        _("mobile number"), max_length=11, blank=True, validators=[validate_mobile]
    )
    reporter_phone_hash = DigestField(source="reporter_phone", purpose="mobile", db_index=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_tickets",
        verbose_name=_("reported by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    response_due = models.DateTimeField(_("response due"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    completion_due = models.DateTimeField(_("completion due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Who resolved it: the assignee, or the colleague covering them on leave (AB岗); the
    # scorecard credits them (appraisal.scoring). Empty before this was recorded: the assignee.
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped whenever a deadline is recomputed, so reminders know which deadline they meant.
    deadline_version = models.PositiveIntegerField(default=1, editable=False)
    # When the deadline sweep should next look at this ticket (a reminder, an overdue notice,
    # an escalation, an auto-close); NULL when nothing is pending. Partially indexed.
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The sweep has acted on every point of the timeline up to here.
    checked_until = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalations"), default=0)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    auto_closed = models.BooleanField(_("closed without a rating"), default=False)
    public_reason = models.CharField(_("reason shown to the resident"), max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    # A joint meeting's decision (联席会议) this request carries out.
    decision = models.ForeignKey(
        "branches.MeetingDecision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("meeting decision"),
    )
    # The visit that found the problem (a ticket points at a visit, never the reverse).
    visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("visit"),
    )
    idempotency_key = models.CharField(max_length=80, blank=True, editable=False)
    # SHA-256 of the body first sent with the key: a retry must carry the same body.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    api_client = models.ForeignKey(
        "ApiClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Moved by the database on every change its page shows: to the row itself (but not the
    # sweep's bookkeeping) and to its events, photos, summonses and joint actions (PostgreSQL
    # triggers, migration 0026). The page's kept body is keyed by it (tickets.page_cache).
    page_version = models.BigIntegerField(db_default=0, editable=False)
    # Its notifications (reminders, escalations…) go when it goes, as when they had a foreign
    # key to it.
    notifications = GenericRelation(
        Notification, content_type_field="subject_type", object_id_field="subject_id"
    )

    # A ticket is a notification's subject (notifications/notify.py, ``Subject``): "t" names
    # it in notification keys, and its area's group robots hear of it.
    notification_tag = "t"

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident request")
        verbose_name_plural = _("resident requests")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "area"], name="ticket_status_area"),
            models.Index(fields=["area", "-submitted_at"], name="ticket_area_recent"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(
                fields=["completion_due"],
                name="ticket_open_completion_due",
                condition=Q(status__in=["accepted", "assigned", "in_progress"]),
            ),
            models.Index(
                fields=["response_due"],
                name="ticket_open_response_due",
                condition=Q(status="submitted"),
            ),
            # The board's pages, newest first (issue 27): a district's tabs read the newest
            # requests until a page is full instead of sorting every request in the tab. The
            # open and resolved ones, which the tabs hold, are mostly recent.
            models.Index(fields=["-submitted_at", "id"], name="ticket_recent"),
            # Escalated and not yet acknowledged are few and not recent: newest first, on their
            # own (the condition is the tab's, tickets.selectors.view_filter).
            models.Index(
                fields=["-submitted_at"],
                name="ticket_escalated_recent",
                condition=Q(
                    escalation_level__gt=0,
                    acknowledged_at__isnull=True,
                    status__in=["submitted", "accepted", "assigned", "in_progress", "suspended"],
                ),
            ),
            # Likewise the accepted requests no one was given (the planner takes "no assignee"
            # and "accepted" for independent, and sorts every such request otherwise).
            models.Index(
                fields=["-submitted_at"],
                name="ticket_unassigned_recent",
                condition=Q(status="accepted", assignee__isnull=True, department__isnull=True),
            ),
            # My tasks (and the three on the visits page) soonest due first: read in order and
            # stopped, where a worker covering colleagues or after a hand-over holds thousands
            # (issue 27: 24 ms for the first three of 4,259, each row read and sorted).
            models.Index(
                fields=["assignee", "completion_due", "id"],
                name="ticket_assignee_due",
                condition=Q(status__in=["assigned", "in_progress"]),
            ),
            # The sweep's only way in: "what is due now" stays an index probe at any size.
            models.Index(
                fields=["next_check_at"],
                name="ticket_next_check",
                condition=Q(next_check_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="ticket_idempotent_per_client",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.short_code} {self.matter}"

    @property
    def masked_reporter_phone(self) -> str:
        return mask_mobile(self.reporter_phone)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_wish(self) -> bool:
        return self.matter.code == WISH_MATTER

    @property
    def status_label(self) -> str:
        """``get_status_display()`` without its cost: that rebuilds and hashes every choice's
        translated label on each call, which the boards pay once per row."""
        return str(Status(self.status).label)

    @property
    def grid(self) -> Area | None:
        return self.area if self.area.level in (Level.GRID, Level.MICRO_GRID) else None

    def overdue(self, now=None) -> bool:
        return is_overdue(self.status, self.response_due, self.completion_due, now)

    def clean_fields(self, exclude=None) -> None:
        self.reporter_phone = normalize_mobile(self.reporter_phone)
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        if (self.longitude is None) != (self.latitude is None):
            raise ValidationError({"latitude": _("Give both longitude and latitude, or neither.")})


class Event(models.Model):
    """One line of a ticket's timeline: who did what, when, from which state to which."""

    class Action(models.TextChoices):
        SUBMIT = "submit", pgettext_lazy("ticket event", "submitted")
        ACCEPT = "accept", _("accepted")
        REJECT = "reject", _("rejected as out of scope")
        ASSIGN = "assign", _("assigned")
        CLAIM = "claim", _("claimed")
        START = "start", _("started work")
        RETURN = "return", _("returned to dispatch")
        SUSPEND = "suspend", _("suspended")
        RESUME = "resume", _("resumed")
        ESCALATE = "escalate", _("escalated (吹哨)")
        ACKNOWLEDGE = "acknowledge", _("acknowledged (报到)")
        RESOLVE = "resolve", _("resolved")
        RATE = "rate", _("rated by the resident")
        REOPEN = "reopen", _("reopened")
        CLOSE = "close", _("closed")
        MERGE = "merge", _("merged as a duplicate")
        NOTE = "note", _("note")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("request")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # AB岗: the actor stood in for this assignee, on leave then ("代 A 办理").
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Shown on the resident's tracking page; internal notes and staff names never are.
    public = models.BooleanField(_("shown to the resident"), default=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"], name="event_ticket_at")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Photo(PrivatePhoto):
    """A photo on a ticket, served only through a view that checks access."""

    photo_folder = "tickets"

    class Kind(models.TextChoices):
        REPORT = "report", _("with the report")
        RESULT = "result", _("of the result")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # False while ``image`` is the upload as it came (checked as safe to decode, not yet
    # re-encoded: it may still carry its EXIF location); ``tickets.tasks.process_photo``
    # re-encodes it and sets True. Nothing serves a photo that is not processed.
    processed = models.BooleanField(_("processed"), default=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]
        indexes = [
            # The sweep's: photos still waiting (a handful, whatever the table's size).
            models.Index(
                fields=["created_at"],
                condition=models.Q(processed=False),
                name="photo_unprocessed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    def serve(self, *, public: bool = False):
        # The original as it came, with its metadata, is nobody's to see (tickets/photos.py).
        if not self.processed:
            raise Http404
        return super().serve(public=public)
