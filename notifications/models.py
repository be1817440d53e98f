"""Notifications: one message to one person (or an area's group robot), the bell that
counts them, and the deliveries that carry them out by email, group robots and SMS.

The database is the truth, Celery only moves work. A notification is about a *subject* (any
model instance, kept as a content type and an id) and knows nothing else of it: the app that
writes it passes the subject, the words' parameters, and registers how its kinds read
(notifications/texts.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.concurrency import Versioned
from grids.models import Area
from grids.scope import ScopedQuerySet


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder before a deadline")
    OVERDUE = "overdue", _("Deadline passed")
    ESCALATED = "escalated", _("Escalated to you (吹哨)")
    ASSIGNED = "assigned", _("Given to you")
    WISH_UNCLAIMED = "wish_unclaimed", _("Micro-wish not taken up")
    DIGEST = "digest", _("Daily digest")
    NEW_REQUEST = "new_request", _("New request to dispatch")
    RETURNED = "returned", _("Request returned for dispatch")
    REOPENED = "reopened", _("Request reopened by the resident")
    TAKEN_AWAY = "taken_away", _("Request taken from you")
    SUMMONED = "summoned", _("Your department is summoned (吹哨报到)")
    SUMMONS_LATE = "summons_late", _("A summoned department has not acknowledged (报到)")
    HIGH_RISK_DISPUTE = "high_risk_dispute", _("High-risk dispute reported (矛盾纠纷)")
    FOLLOW_UP_DUE = "mediation_follow_up", _("Mediation follow-up visit due")
    # To a connected system, not a person (tickets/callbacks.py): no one's preference.
    CALLBACK = "callback", _("Status change sent to a connected system")
    # Safety patrols (safety/sweep.py): a hazard not fixed by its date.
    HAZARD_OVERDUE = "hazard_overdue", _("Safety hazard not fixed by its date")
    # Deliberation (deliberation/notices.py): a resident raised a topic on the public page.
    TOPIC_RAISED = "topic_raised", _("Topic raised by a resident (议事协商)")


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    SMS = "sms", _("Text message")
    # An HTTP callback to a connected system; its sender is registered by the app that writes
    # such messages (notifications/channels.py, ``register``).
    CALLBACK = "callback", _("Callback to a connected system")


# Kinds a person receives and may choose channels for (the preferences page).
PERSONAL_KINDS = [kind for kind in NoticeKind if kind != NoticeKind.CALLBACK]


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

    ``key`` makes it exactly once: (subject, deadline version, kind, level, recipient) for
    deadline work, (digest date, recipient) for digests. Sweepers insert with
    ``ignore_conflicts``, so a second sweeper or a retried task adds nothing.
    """

    key = models.CharField(max_length=160, unique=True, editable=False)
    # NULL for a message to an area's group robot (WeCom, DingTalk) rather than to a person,
    # or to a connected system (a callback: notify.to_system, tickets/callbacks.py).
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
    # What the message is about. The id's column is still called ticket_id: tickets were the
    # first subject, and renaming a column of a large table buys nothing.
    subject_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # a handful of values: the id's index does the finding
        verbose_name=_("subject type"),
    )
    subject_id = models.PositiveBigIntegerField(
        _("subject id"), null=True, blank=True, db_index=True, db_column="ticket_id"
    )
    subject = GenericForeignKey("subject_type", "subject_id")
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
        db_table = "tickets_notification"
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
        return f"{self.recipient_id} {self.kind} {self.subject_id or ''}"


class Delivery(models.Model):
    """A notification going out on one channel: pending → sending → sent, or failed after
    retries. A group robot's message whose worker died while sending is "unknown": it may
    have reached the group, and a robot does not drop a repeat, so staff decide
    (notifications/delivery.py)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        HELD = "held", _("Held for quiet hours")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", pgettext_lazy("delivery state", "Failed")
        UNKNOWN = "unknown", _("Outcome unknown")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=NoticeChannel.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # When a task for this row was last put on the broker: the periodic job enqueues a row
    # again only once this is a lease old, so the queue holds each row about once.
    enqueued_at = models.DateTimeField(_("enqueued"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Passed to the channel so that a provider can drop a repeat of the same message.
    idempotency_key = models.CharField(max_length=200, unique=True, editable=False)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        db_table = "tickets_delivery"
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
                condition=Q(state__in=["pending", "held", "sending"]),
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
        db_table = "tickets_channelpreference"
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.channel} {'on' if self.enabled else 'off'}"


class WebhookTarget(Versioned):
    """A WeCom or DingTalk group robot of an area; messages about tickets there go to it.

    The URL (a WeCom URL carries its key in the query) and the DingTalk secret are credentials:
    no page shows them after saving (notifications/robots.py) and the audit log keeps them
    redacted (``redact``).
    """

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
        db_table = "tickets_webhooktarget"
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    # core.history masks these again on the page, whatever an old log entry holds.
    history_masked = ("secret",)

    def __str__(self) -> str:
        return f"{self.area} · {self.get_channel_display()}"

    @property
    def masked_url(self) -> str:
        return redact(self.url)


def redact(value: str) -> str:
    """A robot's URL without the values of its query (WeCom's ``key`` is the credential), or
    a secret as dots: what the audit log and the pages may show of them."""
    from urllib.parse import parse_qsl, urlsplit

    text = str(value or "")
    if not text or text == "None":
        return ""
    if "://" not in text:
        return "••••"
    parts = urlsplit(text)
    query = "&".join(f"{name}=••••" for name, _value in parse_qsl(parts.query, True))
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")
