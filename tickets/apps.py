from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Resident requests")

    def ready(self) -> None:
        from core import metrics
        from tickets.metrics import collect

        # The sweep's lag on /metrics (core/metrics.py).
        metrics.register("sweep", collect)

        from tickets.services import follow_up_choices, follow_up_made
        from visits.services import register_follow_up

        register_follow_up(follow_up_made, follow_up_choices)

        from auditlog.registry import auditlog

        from tickets.models import ApiClient, Category, Department, JointAction, Matter

        # The catalogue decides deadlines: who changed a matter's limits must be on record.
        auditlog.register(Matter, exclude_fields=["version", "tickets"])
        auditlog.register(Category, exclude_fields=["version", "matters"])
        auditlog.register(
            Department, exclude_fields=["version", "matters", "tickets"], m2m_fields={"members"}
        )
        # A token's hash is no one's business; a new token shows as a new hint.
        # Nor the callback's signing secret: a new one shows as a new hint.
        auditlog.register(
            ApiClient,
            exclude_fields=[
                "version",
                "token_hash",
                "callback_secret",
                "last_used_at",
                "tickets",
            ],
        )

        # Who recorded a joint action, and with which departments, is on record. Its requests
        # are not: the history would name requests its reader may not see (each request's
        # own timeline has the line, with who wrote it).
        # The entry's own actor and time say who recorded it and when; the area is on the page.
        auditlog.register(
            JointAction,
            exclude_fields=["id", "tickets", "area", "recorded_by", "created_at"],
            m2m_fields={"departments"},
        )

        from notifications import texts
        from tickets import notices

        # What the deadline notices and the digest say: notifications know no tickets.
        texts.register(notices.KINDS, notices.describe)

        from notifications import channels
        from notifications.models import NoticeChannel, NoticeKind
        from tickets import callbacks

        # Callbacks to connected systems go through the deliveries (tickets/callbacks.py).
        channels.register(NoticeChannel.CALLBACK, callbacks.send)
        texts.register([NoticeKind.CALLBACK], callbacks.describe)
