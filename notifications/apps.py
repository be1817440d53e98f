from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.models.signals import post_delete, post_save

        from core import health
        from notifications.models import Notification, WebhookTarget

        # Who set up or changed an area's robot is on record; its URL and secret only redacted.
        auditlog.register(
            WebhookTarget,
            mask_fields=["url", "secret"],
            mask_callable="notifications.models.redact",
            exclude_fields=["version", "notifications"],
        )

        health.register("deliveries", _deliveries_health)

        from core import metrics
        from notifications.metrics import collect

        metrics.register("deliveries", collect)

        # Writes one at a time (the admin, the deletion of a notification's subject); the bulk
        # ones in notify and inbox call bell.changed themselves.
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                _bell_changed, sender=Notification, dispatch_uid=f"notifications.bell.{name}"
            )


def _bell_changed(instance, **kwargs) -> None:
    from notifications import bell

    bell.changed([instance.recipient_id])


def _deliveries_health() -> dict:
    """/healthz's "deliveries": the backlog, "ok" while the oldest due message has waited less
    than HEALTH_DELIVERY_MAX_AGE. Lagging messages make the status "degraded", never 503:
    every web node shares the one queue, so pulling them would help nobody. How many wait in
    the broker is the broker check's ("queues"), asked of the broker once."""
    from django.conf import settings

    from notifications import delivery

    figures = delivery.backlog()
    oldest = figures["oldest_due_seconds"]
    limit = settings.HEALTH_DELIVERY_MAX_AGE.total_seconds()
    return {
        "ok": oldest is None or oldest <= limit,
        "due": figures["due"],
        "oldest_due_at": figures["oldest_due_at"].isoformat() if figures["oldest_due_at"] else None,
        "oldest_due_seconds": oldest,
        "sending": figures["sending"],
        "unknown": figures["unknown"],
    }
