"""Cover (AB岗): while a grid worker (A) is on leave, their colleague (B) stands in.

Everything routes by date, so nothing moves: while one of A's ``Leave`` rows holds, B reaches
A's covered grid as A's post does (``grids.scope`` reads the covered posts with B's own, in the
same query), sees A's open requests among their tasks, acts on them as their assignee would
(``tickets.policy.is_handler``; the timeline records B acting for A, and the scorecard credits
B for what B resolved), and hears, instead of A, every notice about a piece of work meant for
A: new requests to dispatch, "assigned to you", reminders (``notifications.notify`` applies
``standins`` to every batch). When the leave ends B stops seeing them and A has them again,
with whatever is still open: there is nothing to hand back. Visits record their visitor, so
whoever did the work is credited for it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from grids.models import Cover, Leave, Post
from grids.roles import Role
from grids.scope import covered_posts

# The grid posts that may be covered, and whose holders may cover them.
COVERED_ROLES = (Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_WORKER)


def _on_leave(on: dt.date, user_field: str = "user"):
    return Exists(
        Leave.objects.filter(user=OuterRef(user_field), starts_on__lte=on, ends_on__gte=on)
    )


def on_leave(user, on: dt.date | None = None) -> bool:
    on = on or timezone.localdate()
    return Leave.objects.filter(user=user, starts_on__lte=on, ends_on__gte=on).exists()


def standins(user_ids, on: dt.date | None = None) -> dict[int, object]:
    """For each of ``user_ids`` on leave on ``on`` with a colleague covering them: that
    colleague (one query)."""
    on = on or timezone.localdate()
    found: dict[int, object] = {}
    covers = (
        Cover.objects.filter(
            active=True,
            post__user_id__in=set(user_ids),
            post__in=Post.objects.active(on),
            post__user__leaves__starts_on__lte=on,
            post__user__leaves__ends_on__gte=on,
        )
        .select_related("covered_by", "post")
        .order_by("post__started_on", "pk")
    )
    for cover in covers:
        found.setdefault(cover.post.user_id, cover.covered_by)
    return found


def standing_in(user, on: dt.date | None = None):
    """Who covers ``user`` on ``on`` (None when they are at work or nobody covers them)."""
    return standins([user.pk], on).get(user.pk)


def covering(user_b, on: dt.date | None = None) -> list:
    """The users ``user_b`` stands in for on ``on``."""
    return list(_covering(user_b, on))


def _covering(user_b, on: dt.date | None):
    on = on or timezone.localdate()
    return (
        get_user_model()
        .objects.filter(
            Exists(
                Cover.objects.filter(
                    post__user=OuterRef("pk"),
                    post__in=Post.objects.active(on),
                    covered_by=user_b,
                    active=True,
                )
            ),
            _on_leave(on, "pk"),
        )
        .order_by("pk")
    )


def covers_today(user, assignee_id: int | None) -> bool:
    """Whether ``user`` stands in today for ``assignee_id``, a colleague on leave (so acts
    as them on their requests); read from the user's posts for this request (``grids.scope``),
    so it costs no query."""
    if user is None or assignee_id is None or assignee_id == getattr(user, "pk", None):
        return False
    return any(post.user_id == assignee_id for post in covered_posts(user))
