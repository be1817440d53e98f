"""The SMS adapter, below every app that sends a text message: notifications' deliveries and
accounts' one-time codes (activation, forgotten password).

``settings.SMS_BACKEND`` names the class. ``send`` returns when the provider accepted the
message and raises ``ChannelError`` otherwise (``permanent``: trying again cannot help).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from core.personal import mask_mobile

# The name predates the move to core: operators' log filters keep working.
sms_logger = logging.getLogger("notifications.sms")


class ChannelError(Exception):
    """The provider did not take the message. ``permanent``: trying again cannot help (no
    address any more, robot switched off), so the delivery fails at once."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SMSBackend:
    """An SMS provider's adapter; ``settings.SMS_BACKEND`` names the class to use. ``send``
    returns when the provider accepted the message and raises ``ChannelError`` otherwise."""

    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        raise NotImplementedError


class LoggingSMSBackend(SMSBackend):
    """Writes each message to the "notifications.sms" log instead of sending it (no provider
    yet). The log is then the only place a one-time code can be read: keep it for trials."""

    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        # The number is masked: logs travel further than the database does.
        sms_logger.info("SMS to %s [%s]: %s", mask_mobile(phone), idempotency_key, text)


def get_sms_backend() -> SMSBackend:
    return import_string(settings.SMS_BACKEND)()
