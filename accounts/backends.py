"""Django's model backend, with the user every signed-in request loads kept in the shared
cache.

Each entry carries the token of the user's version key as it was before the database was
read (core/versioned.py): saving or deleting the user renews it, so a deactivation, a new
password or a changed language is seen by the next request, and an entry written from rows
read before a change is never believed. A generation token, renewed by migrations and bulk
loads, covers rows written without signals (a re-seeded database reuses primary keys).
"""

from __future__ import annotations

from django.contrib.auth import backends
from django.core.cache import cache

from core import versioned

GENERATION = "accounts:user-generation"


def version_key(user_pk) -> str:
    return f"accounts:user-version:{user_pk}"


def entry_key(user_pk) -> str:
    return f"accounts:user:{user_pk}"


def user_changed(user_pk) -> None:
    versioned.bump([version_key(user_pk)])


def users_reloaded() -> None:
    """Users were written without signals (bulk loads): none of the cached ones is kept."""
    versioned.bump([GENERATION])


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        if not versioned.enabled():
            return super().get_user(user_id)
        version, key = version_key(user_id), entry_key(user_id)
        found = cache.get_many([GENERATION, version, key])
        # An unknown or inactive user (None) is not cached: such a request is rare and
        # must keep failing.
        return versioned.read(
            version,
            key,
            lambda: super(ModelBackend, self).get_user(user_id),
            versioned.current(GENERATION, found),
            found=found,
        )
