"""The bell's count of unread notifications, shown on every page.

On a shared cache it is kept there under a version per person, renewed whenever one of
their notifications is written, read or removed (core/versioned.py says why that is safe).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

from core import versioned
from tickets.models import Notification

_FOUND_ATTR = "_tickets_found_unread"


def _version_key(user_pk: int) -> str:
    return f"tickets:unread-version:{user_pk}"


def _count_key(user_pk: int) -> str:
    return f"tickets:unread:{user_pk}"


def cache_keys(user) -> list[str]:
    """Keys a view may add to its own ``cache.get_many`` (then ``take_found``)."""
    if not versioned.enabled() or not getattr(user, "is_authenticated", False):
        return []
    return [_version_key(user.pk), _count_key(user.pk)]


def take_found(user, found: dict) -> None:
    if versioned.enabled() and getattr(user, "is_authenticated", False):
        setattr(user, _FOUND_ATTR, found)


def _from_database(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_count(user) -> int:
    if not versioned.enabled():
        return _from_database(user)
    keys = cache_keys(user)
    found = getattr(user, _FOUND_ATTR, None) or cache.get_many(keys)
    token = versioned.current(keys[0], found)
    count = versioned.valid(found.get(keys[1]), token)
    if count is None:
        count = _from_database(user)
        versioned.remember(keys[1], token, count)
    return count


def changed(user_ids: Iterable[int | None]) -> None:
    """These people's notifications were written, read or removed."""
    versioned.bump(_version_key(pk) for pk in {pk for pk in user_ids if pk is not None})
