"""The hazards' sweep: an open hazard past its fix-by date escalates, exactly once a step.

Built like the requests' sweep (tickets/sweep.py), which knows nothing of hazards: each open
hazard carries ``next_check_at``, the next step on its way (the end of its fix-by day, then
``STREET_AFTER_DAYS`` later). Beat runs ``sweep`` every few minutes (and ``manage.py
sweep_hazards`` by hand); it claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED``, moves
each one level up and writes the notices in the same transaction. The notices' unique keys
(hazard, round, level, recipient) make a replay write nothing new; a second sweeper skips
the rows this one holds.

Level 1: the grid's workers and the community's officers are told. Level 2: the street's.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from grids.models import Area, Post
from grids.roles import Level, Role
from notifications.models import NoticeKind
from notifications.notify import Message, notify_many
from safety.models import Hazard

BATCH = 200
STREET_AFTER_DAYS = 3
LAST_LEVEL = 2

GRID_ROLES = (Role.GRID_WORKER, Role.GRID_LEADER)
COMMUNITY_ROLES = (Role.COMMUNITY_STAFF,)
STREET_ROLES = (Role.STREET_STAFF,)


def _audience(hazards: list[Hazard], now: dt.datetime) -> dict[tuple[str, str], list]:
    """{(area path, "grid"/"community"/"street"): users}, in one query for the batch."""
    paths = set()
    for h in hazards:
        for level in (Level.GRID, Level.COMMUNITY, Level.STREET):
            paths.add(_ancestor(h.grid, level))
    posts = (
        Post.objects.active(timezone.localdate(now))
        .filter(area__path__in=paths, role__in=(*GRID_ROLES, *COMMUNITY_ROLES, *STREET_ROLES))
        .select_related("user", "area")
    )
    found: dict[str, list] = {}
    for post in posts:
        found.setdefault(post.area.path, []).append(post.user)
    return found


def _ancestor(grid: Area, level: str) -> str:
    from grids.roles import LEVEL_DEPTH

    return grid.path[: LEVEL_DEPTH[level] * Area.steplen]


def _recipients(hazard: Hazard, level: int, people: dict[str, list]) -> list:
    if level == 1:
        paths = [_ancestor(hazard.grid, Level.GRID), _ancestor(hazard.grid, Level.COMMUNITY)]
    else:
        paths = [_ancestor(hazard.grid, Level.STREET)]
    seen, users = set(), []
    for path in paths:
        for user in people.get(path, []):
            if user.pk not in seen:
                seen.add(user.pk)
                users.append(user)
    return users


def _next(hazard: Hazard, level: int, now: dt.datetime) -> dt.datetime | None:
    if level >= LAST_LEVEL:
        return None
    return max(hazard.next_check_at, now) + dt.timedelta(days=STREET_AFTER_DAYS)


def sweep(now: dt.datetime | None = None) -> int:
    """Escalate every due hazard one level; returns how many notifications were new."""
    now = now or timezone.now()
    written = 0
    while True:
        with transaction.atomic():
            due = list(
                Hazard.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    status=Hazard.Status.OPEN, next_check_at__isnull=False, next_check_at__lte=now
                )
                .select_related("grid", "place")
                .order_by("next_check_at", "pk")[:BATCH]
            )
            if not due:
                return written
            people = _audience(due, now)
            messages = []
            for hazard in due:
                level = hazard.escalation_level + 1
                messages.append(
                    Message(
                        kind=NoticeKind.HAZARD_OVERDUE,
                        recipients=_recipients(hazard, level, people),
                        subject=hazard,
                        level=level,
                        deadline_version=hazard.round,
                        urgent=hazard.severity == "major",
                        params={
                            "place": hazard.place.name,
                            "what": hazard.description[:100],
                            "fix_by": hazard.fix_by.isoformat(),
                            "hazard": hazard.pk,
                        },
                    )
                )
                hazard.escalation_level = level
                hazard.next_check_at = _next(hazard, level, now)
            Hazard.objects.bulk_update(due, ["escalation_level", "next_check_at"])
            written += notify_many(messages, now=now)
            if len(due) < BATCH:
                return written
