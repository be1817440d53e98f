"""What the hazards' notices say (registered with notifications/texts.py in apps.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.models import NoticeKind, Notification
from notifications.texts import Text

KINDS = (NoticeKind.HAZARD_OVERDUE,)


def describe(notification: Notification) -> Text:
    p = notification.params or {}
    pk = p.get("hazard")
    link = reverse("safety_hazard", kwargs={"pk": pk}) if pk else reverse("notifications")
    title = _("Safety hazard not fixed by %(date)s: %(place)s") % {
        "date": p.get("fix_by", ""),
        "place": p.get("place", ""),
    }
    if notification.level >= 2:
        title = _("Escalated to the street: ") + title
    return Text(title=title, body=p.get("what", ""), link=link)
