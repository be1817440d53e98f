"""The bell's count of unread notifications, shown on every page.

On a shared cache it is kept there under a version per person, renewed whenever one of
their notifications is written, read or removed (core/versioned.py says why that is safe).
"""

from __future__ import annotations

from collections.abc import Iterable

from core import versioned
from notifications.models import Notification


# The keys keep the prefix they had when the bell was part of the tickets app, so that counts
# cached before the move stay valid (and tests/conftest.py finds them by it).
def _version_key(user_pk: int) -> str:
    return f"tickets:unread-version:{user_pk}"


def _count_key(user_pk: int) -> str:
    return f"tickets:unread:{user_pk}"


def cache_keys(user) -> list[str]:
    """Keys a view may add to its own ``cache.get_many`` (then ``versioned.take_found``)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return cache_keys_of(user.pk)


def cache_keys_of(user_pk: int) -> list[str]:
    """The same, by the user's id (``settings.USER_CACHE_KEYS``)."""
    if not versioned.enabled():
        return []
    return [_version_key(user_pk), _count_key(user_pk)]


def _from_database(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_count(user) -> int:
    if not versioned.enabled():
        return _from_database(user)
    return versioned.read(
        _version_key(user.pk),
        _count_key(user.pk),
        lambda: _from_database(user),
        found=versioned.found_on(user),
    )


def changed(user_ids: Iterable[int | None]) -> None:
    """These people's notifications were written, read or removed."""
    versioned.bump(_version_key(pk) for pk in {pk for pk in user_ids if pk is not None})
