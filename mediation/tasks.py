"""Daily: tell each case's mediator (or its opener) of follow-up visits falling due."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from mediation.models import Case, Status
from notifications.models import NoticeKind
from notifications.notify import Message, notify_many

# Told this many days before the follow-up visit falls due, and every day once it is overdue
# (one notification per case and due date: the key makes a repeat a no-op).
NOTICE_DAYS = 3


def remind_follow_ups(today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    due = Case.objects.filter(
        status=Status.CLOSED,
        followed_up_at__isnull=True,
        follow_up_due__lte=today + dt.timedelta(days=NOTICE_DAYS),
    ).select_related("grid", "mediator", "opened_by")
    messages = [
        Message(
            kind=NoticeKind.FOLLOW_UP_DUE,
            recipients=[case.mediator or case.opened_by],
            subject=case,
            params={"case": case.pk, "grid": case.grid.name, "due": case.follow_up_due.isoformat()},
            robots=False,
            extra_key=case.follow_up_due.isoformat(),
        )
        for case in due
    ]
    return notify_many(messages) if messages else 0


@shared_task
def remind_mediation_follow_ups() -> int:
    return remind_follow_ups()
