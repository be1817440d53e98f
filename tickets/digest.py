"""The daily digest to grid leaders (the grid branch's secretary, 一肩挑) and community
officers: what is new, overdue, escalated and awaiting the resident's review where they
dispatch. Written once per person and day (the notification key holds the date), so beat may
run this every hour and an operator may run it again.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from grids.models import Post
from grids.roles import Role
from notifications.models import NoticeKind, Notification
from notifications.notify import Message, notify_many
from tickets.selectors import dispatchable, view_filter

DIGEST_ROLES = (Role.GRID_LEADER, Role.COMMUNITY_STAFF)


def counts_for(user, now: dt.datetime) -> dict[str, int]:
    """One aggregate over the requests ``user`` dispatches."""
    return dispatchable(user).aggregate(
        new=Count("pk", filter=Q(submitted_at__gt=now - dt.timedelta(days=1))),
        overdue=Count("pk", filter=view_filter("overdue", user, now)),
        escalated=Count("pk", filter=view_filter("escalated", user, now)),
        review=Count("pk", filter=view_filter("review", user, now)),
    )


def send_digests(*, now: dt.datetime | None = None, force: bool = False) -> int:
    """Write today's digests once DIGEST_HOUR has come (``force``: now); returns how many are
    new. Quiet hours do not apply: a digest is written in the morning by design."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if not force and local.hour < settings.DIGEST_HOUR:
        return 0
    posts = (
        Post.objects.active(local.date())
        .filter(role__in=DIGEST_ROLES, user__is_active=True)
        .select_related("user", "area")
        .order_by("user_id", "area__path")
    )
    # Beat runs this hourly: whoever has today's digest already is not counted again.
    done = set(
        Notification.objects.filter(
            kind=NoticeKind.DIGEST, key__endswith=f":{local.date()}"
        ).values_list("recipient_id", flat=True)
    )
    areas: dict[int, list[str]] = {}
    users = {}
    for post in posts:
        if post.user_id in done:
            continue
        users[post.user_id] = post.user
        areas.setdefault(post.user_id, []).append(post.area.name)
    messages = []
    for user_id, user in users.items():
        counts = counts_for(user, now)
        messages.append(
            Message(
                NoticeKind.DIGEST,
                [user],
                params={**counts, "area": "、".join(areas[user_id]), "date": str(local.date())},
                urgent=False,
                robots=False,
                extra_key=str(local.date()),
            )
        )
    return notify_many(messages, now=now)
