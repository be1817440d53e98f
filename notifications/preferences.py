"""Which external channels a person wants for each kind of notification.

The notifications page offers only the personal channels (email, SMS): WeCom and DingTalk are
an area's group robots, and in-app notifications are always on.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from notifications.models import PERSONAL_KINDS, ChannelPreference, NoticeChannel

PERSONAL_CHANNELS = (NoticeChannel.EMAIL, NoticeChannel.SMS)


def effective(user) -> dict[tuple[str, str], bool]:
    """(kind, channel) → whether it is on for ``user`` now, as ``notify.channels_for`` decides.

    Without a row, email is on when the user has an address and SMS is off; a channel the user
    has no address or number for is off whatever the row says.
    """
    rows = {
        (p.kind, p.channel): p.enabled
        for p in ChannelPreference.objects.filter(user=user, channel__in=PERSONAL_CHANNELS)
    }
    reachable = {NoticeChannel.EMAIL: bool(user.email), NoticeChannel.SMS: bool(user.phone)}
    defaults = {NoticeChannel.EMAIL: True, NoticeChannel.SMS: False}
    return {
        (kind, channel): reachable[channel] and rows.get((kind, channel), defaults[channel])
        for kind in PERSONAL_KINDS
        for channel in PERSONAL_CHANNELS
    }


@transaction.atomic
def save_channel_preferences(*, user, choices: dict[tuple[str, str], bool]) -> None:
    """Record ``user``'s choice for each (kind, channel) given; others stay as they were."""
    for kind, channel in choices:
        if kind not in PERSONAL_KINDS or channel not in PERSONAL_CHANNELS:
            raise ValidationError(
                _("%(channel)s cannot be chosen for %(kind)s.") % {"channel": channel, "kind": kind}
            )
    for (kind, channel), enabled in choices.items():
        ChannelPreference.objects.update_or_create(
            user=user, kind=kind, channel=channel, defaults={"enabled": bool(enabled)}
        )
