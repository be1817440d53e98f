"""Signing out people whose last post has ended (等保 2.0: access ends with the role).

Ending a post today signs its holder out at once when it was their last (grids.services.
end_post). A post given an end date ahead ends by itself on that date: this nightly sweep
signs such people out then.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from accounts import services as accounts_services
from grids.models import Post


def end_sessions_after_last_post(*, on: dt.date | None = None) -> int:
    """Nightly: people whose last post ended by date (an end date set ahead) are signed out
    of the sessions they signed in to before it ended. Returns how many sessions ended."""
    on = on or timezone.localdate()
    last_ends = list(
        Post.objects.filter(ended_on__lte=on, user__open_sessions__isnull=False)
        .exclude(user__in=Post.objects.active(on).values("user"))
        .exclude(user__is_superuser=True)
        .values("user")
        .annotate(last=Max("ended_on"))
    )
    users = get_user_model().objects.in_bulk([row["user"] for row in last_ends])
    ended = 0
    for row in last_ends:
        since = timezone.make_aware(dt.datetime.combine(row["last"], dt.time.min))
        ended += accounts_services.end_all_sessions(
            user=users[row["user"]], reason="last post ended", started_before=since
        )
    return ended
