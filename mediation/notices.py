"""What mediation's notifications say (registered with notifications/texts.py in apps.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.models import NoticeKind, Notification
from notifications.texts import Text

KINDS = (NoticeKind.HIGH_RISK_DISPUTE, NoticeKind.FOLLOW_UP_DUE)


def describe(notification: Notification) -> Text:
    p = notification.params or {}
    pk = p.get("case") or notification.subject_id
    link = reverse("mediation_case", kwargs={"pk": pk}) if pk else reverse("notifications")
    if notification.kind == NoticeKind.HIGH_RISK_DISPUTE:
        return Text(
            title=_("High-risk dispute in %(grid)s") % {"grid": p.get("grid", "")},
            body=_("A dispute was recorded as high-risk: see the case and follow it closely."),
            link=link,
        )
    return Text(
        title=_("Follow-up visit due: mediation case in %(grid)s") % {"grid": p.get("grid", "")},
        body=_("The follow-up visit after the case was closed falls due on %(due)s.")
        % {"due": p.get("due", "")},
        link=link,
    )
