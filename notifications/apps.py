from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from notifications.models import Notification

        # Writes one at a time (the admin, the deletion of a notification's subject); the bulk
        # ones in notify and inbox call bell.changed themselves.
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                _bell_changed, sender=Notification, dispatch_uid=f"notifications.bell.{name}"
            )


def _bell_changed(instance, **kwargs) -> None:
    from notifications import bell

    bell.changed([instance.recipient_id])
