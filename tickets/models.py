"""Resident requests (工单): "群众点单、社区派单、党员接单".

The catalogue of matters (事项清单) says who owns a matter and how long each stage may
take; a ticket moves through one state machine (tickets/services.py) and every move is
an event on its timeline.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.concurrency import Versioned
from core.images import private_storage
from core.personal import mask_mobile, normalize_mobile, validate_mobile
from grids.models import Area, Household
from grids.policy import TerritoryCapability
from grids.roles import Level
from grids.scope import ScopedQuerySet, path_q, scope_paths

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


# --- Working days -----------------------------------------------------------------------------


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a public holiday on a weekday, or a weekend working day
    (调休). Seeded for 2024–2026 from the State Council notices; add next year's in the admin."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'work' if self.is_workday else 'holiday'}"


# --- Catalogue of matters ---------------------------------------------------------------------


class Department(Bilingual):
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


class Category(Bilingual):
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


class LimitUnit(models.TextChoices):
    HOURS = "hours", pgettext_lazy("time limit unit", "hours")
    WORKING_DAYS = "working_days", _("working days")
    DAYS = "days", _("calendar days")


class Matter(Bilingual):
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


# --- Tickets ----------------------------------------------------------------------------------


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


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        """In the user's areas, or given to them or their department, or reported by them."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        in_department = Exists(
            Department.members.through.objects.filter(
                department_id=OuterRef("department_id"), user_id=user.pk
            )
        )
        return self.filter(
            path_q(scope_paths(user, capability), "area__path")
            | Q(assignee=user)
            | Q(reported_by=user)
            | Q(in_department)
        )

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(Versioned):
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
    reporter_phone = models.CharField(
        _("mobile number"), max_length=11, blank=True, validators=[validate_mobile]
    )
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


def _photo_path(instance, filename: str) -> str:
    return f"tickets/{timezone.now():%Y/%m}/{filename}"


class Photo(models.Model):
    """A photo on a ticket, served only through a view that checks access."""

    class Kind(models.TextChoices):
        REPORT = "report", _("with the report")
        RESULT = "result", _("of the result")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    image = models.ImageField(upload_to=_photo_path, storage=private_storage)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class ApiClient(models.Model):
    """A system allowed to create tickets through the API (a sensor platform, 12345)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token ends with"), max_length=6, editable=False)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name=_("area"),
        help_text=_("The area whose grids this system may report into."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name


# --- Notifications (issue 5): the database is the truth, Celery only moves work --------------


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder before a deadline")
    OVERDUE = "overdue", _("Deadline passed")
    ESCALATED = "escalated", _("Escalated to you (吹哨)")
    ASSIGNED = "assigned", _("Given to you")
    WISH_UNCLAIMED = "wish_unclaimed", _("Micro-wish not taken up")
    DIGEST = "digest", _("Daily digest")


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    SMS = "sms", _("Text message")


class OwnQuerySet(models.QuerySet):
    """Rows that belong to one person: ``visible_to(user)`` is theirs (all, for a superuser)."""

    owner = "recipient"

    def visible_to(self, user):
        if user.is_superuser:
            return self.all()
        return self.filter(**{self.owner: user}) if user.is_authenticated else self.none()


class DeliveryQuerySet(OwnQuerySet):
    owner = "notification__recipient"


class PreferenceQuerySet(OwnQuerySet):
    owner = "user"


class WebhookQuerySet(ScopedQuerySet):
    area_path = "area__path"


class Notification(models.Model):
    """One message to one person; the in-app bell shows these. Each external channel it goes
    out on is a Delivery.

    ``key`` makes it exactly once: (ticket, deadline version, kind, level, recipient) for
    deadline work, (digest date, recipient) for digests. Sweepers insert with
    ``ignore_conflicts``, so a second sweeper or a retried task adds nothing.
    """

    key = models.CharField(max_length=160, unique=True, editable=False)
    # NULL for a message to an area's group robot (WeCom, DingTalk) rather than to a person.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    webhook = models.ForeignKey(
        "WebhookTarget",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("group robot"),
    )
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("request"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    # For reminders the share of the allowed time (50, 80); for escalations the level.
    level = models.PositiveSmallIntegerField(_("level"), default=0)
    deadline_version = models.PositiveIntegerField(default=0)
    urgent = models.BooleanField(_("urgent"), default=False)
    # What to say, rendered in the recipient's language when shown or sent.
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = OwnQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.ticket_id or ''}"


class Delivery(models.Model):
    """A notification going out on one channel: pending → sent, or failed after retries."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        HELD = "held", _("Held for quiet hours")
        SENT = "sent", _("Sent")
        FAILED = "failed", pgettext_lazy("delivery state", "Failed")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=NoticeChannel.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Passed to the channel so that a provider can drop a repeat of the same message.
    idempotency_key = models.CharField(max_length=200, unique=True, editable=False)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(state__in=["pending", "held"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.state}"


class ChannelPreference(models.Model):
    """Which channels a person wants for which kind of notification (in-app is always on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_preferences"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=NoticeChannel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = PreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.channel} {'on' if self.enabled else 'off'}"


class WebhookTarget(models.Model):
    """A WeCom or DingTalk group robot of an area; messages about tickets there go to it."""

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("area")
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=[
            (NoticeChannel.WECOM, NoticeChannel.WECOM.label),
            (NoticeChannel.DINGTALK, NoticeChannel.DINGTALK.label),
        ],
    )
    url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk 加签 secret; leave empty for WeCom."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self) -> str:
        return f"{self.area} · {self.get_channel_display()}"


class SweepRun(models.Model):
    """What one deadline sweep did (the operations page and /healthz read the latest)."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    claimed = models.PositiveIntegerField(_("requests looked at"), default=0)
    notifications = models.PositiveIntegerField(_("notifications written"), default=0)
    escalations = models.PositiveIntegerField(_("escalations"), default=0)
    closed = models.PositiveIntegerField(_("closed unrated"), default=0)

    class Meta:
        verbose_name = _("deadline sweep")
        verbose_name_plural = _("deadline sweeps")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="sweep_latest")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.duration_ms} ms"
