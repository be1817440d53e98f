"""What the requests' notifications say: reminders, overdue notices, escalations, requests
given to someone or taken from them, new, returned and reopened requests, unclaimed
micro-wishes and the daily digest. Registered with
notifications/texts.py for those kinds (tickets/apps.py); the rows' parameters are what the
sweep, the services and the digest wrote, and the words are chosen when a message is shown or
sent, in the reader's language.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from notifications.models import NoticeKind, Notification
from notifications.texts import Text

# The kinds this module describes: every one the requests' deadline work and digest send.
KINDS = (
    NoticeKind.REMINDER,
    NoticeKind.OVERDUE,
    NoticeKind.ESCALATED,
    NoticeKind.ASSIGNED,
    NoticeKind.WISH_UNCLAIMED,
    NoticeKind.DIGEST,
    NoticeKind.NEW_REQUEST,
    NoticeKind.RETURNED,
    NoticeKind.REOPENED,
    NoticeKind.TAKEN_AWAY,
    NoticeKind.SUMMONED,
    NoticeKind.SUMMONS_LATE,
)


def _when(value: str | None) -> str:
    moment = parse_datetime(value) if value else None
    if moment is None:
        return ""
    # A numeric form reads the same in both languages and never ends in a full stop
    # (English "p.m." would, before the sentence's own).
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _stage(params: dict) -> str:
    if params.get("stage") == "acknowledge":
        return _("acknowledge (报到)")
    return _("response") if params.get("stage") == "response" else _("completion")


def describe(notification: Notification) -> Text:
    p = notification.params or {}
    code = p.get("code", "")
    link = reverse("ticket_detail", kwargs={"code": code}) if code else reverse("notifications")
    kind = notification.kind
    if kind == NoticeKind.REMINDER:
        title = _("Request %(code)s: %(share)s%% of the time is used") % {
            "code": code,
            "share": notification.level,
        }
        body = _("The %(stage)s deadline is %(due)s.") % {
            "stage": _stage(p),
            "due": _when(p.get("due")),
        }
    elif kind == NoticeKind.OVERDUE and p.get("stage") == "part":
        title = _("Request %(code)s: the part of %(department)s is overdue") % {
            "code": code,
            "department": p.get("department", ""),
        }
        body = _("It was due by %(due)s. Please report it, or tell the lead what holds it up.") % {
            "due": _when(p.get("due"))
        }
    elif kind == NoticeKind.OVERDUE:
        title = _("Request %(code)s is overdue") % {"code": code}
        body = _("The %(stage)s deadline passed at %(due)s.") % {
            "stage": _stage(p),
            "due": _when(p.get("due")),
        }
    elif kind == NoticeKind.ESCALATED:
        title = _("Request %(code)s escalated to you (吹哨)") % {"code": code}
        body = _(
            "It is overdue at the level below. Please acknowledge it (报到) and take it in hand."
        )
    elif kind == NoticeKind.ASSIGNED:
        title = _("Request %(code)s given to you") % {"code": code}
        body = _("The completion deadline is %(due)s.") % {"due": _when(p.get("due"))}
    elif kind == NoticeKind.WISH_UNCLAIMED:
        title = _("Micro-wish %(code)s not taken up") % {"code": code}
        body = _("Nobody has taken it up for %(days)s days; please find someone for it.") % {
            "days": p.get("days", "")
        }
    elif kind == NoticeKind.NEW_REQUEST:
        title = _("New request %(code)s in your area") % {"code": code}
        body = _("Please accept it (受理) and assign it.")
    elif kind == NoticeKind.RETURNED:
        title = _("Request %(code)s returned for dispatch") % {"code": code}
        body = _("Whoever had it sent it back; please assign it again.")
    elif kind == NoticeKind.REOPENED:
        title = _("Request %(code)s reopened: the resident is not satisfied") % {"code": code}
        comment = p.get("comment", "")
        body = (
            _("%(n)s stars. The resident says: “%(comment)s”")
            % {"n": p.get("rating", ""), "comment": comment}
            if comment
            else _("%(n)s stars, without a comment.") % {"n": p.get("rating", "")}
        )
    elif kind == NoticeKind.TAKEN_AWAY:
        title = _("Request %(code)s is no longer yours") % {"code": code}
        body = _("It was escalated or given to someone else; you need not act on it.")
    elif kind == NoticeKind.SUMMONED:
        title = _("Request %(code)s: %(department)s is summoned (吹哨)") % {
            "code": code,
            "department": p.get("department", ""),
        }
        body = (
            _("As the lead department. Acknowledge (报到) by %(due)s.")
            if p.get("role") == "lead"
            else _("To handle its part. Acknowledge (报到) by %(due)s.")
        ) % {"due": _when(p.get("due"))}
    elif kind == NoticeKind.SUMMONS_LATE:
        title = _("Request %(code)s: %(department)s has not acknowledged (报到)") % {
            "code": code,
            "department": p.get("department", ""),
        }
        body = _("It was due to acknowledge by %(due)s. Please follow it up.") % {
            "due": _when(p.get("due"))
        }
    else:  # digest
        title = _("Daily digest for %(area)s") % {"area": p.get("area", "")}
        body = _(
            "New: %(new)s · overdue: %(overdue)s · escalated: %(escalated)s · "
            "awaiting the resident's review: %(review)s"
        ) % {
            "new": p.get("new", 0),
            "overdue": p.get("overdue", 0),
            "escalated": p.get("escalated", 0),
            "review": p.get("review", 0),
        }
        link = reverse("ticket_board")
    return Text(title=title, body=body, link=link)
