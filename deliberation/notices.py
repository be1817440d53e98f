"""What deliberation's notifications say (registered with notifications/texts.py in apps.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.models import NoticeKind, Notification
from notifications.texts import Text

KINDS = (NoticeKind.TOPIC_RAISED,)


def describe(notification: Notification) -> Text:
    p = notification.params or {}
    pk = p.get("topic") or notification.subject_id
    return Text(
        title=_("New deliberation topic in %(community)s: %(title)s")
        % {"community": p.get("community", ""), "title": p.get("title", "")},
        body=_("A resident raised it on the public page: accept it or say why not."),
        link=reverse("deliberation_topic", kwargs={"pk": pk}) if pk else reverse("notifications"),
    )
