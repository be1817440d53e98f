"""Django's model backend, signing in by user name or mobile number, with the user every
signed-in request loads kept in the shared cache.

A mobile number signs in the one active account that has it; when several share it the
sign-in form refuses and asks for the user name (``shared_mobile``). django-axes counts
failures per what was typed (a user name or a number) and client, in front of this backend.

Each entry carries the token of the user's version key as it was before the database was
read (core/versioned.py): saving or deleting the user renews it, so a deactivation, a new
password or a changed language is seen by the next request, and an entry written from rows
read before a change is never believed. A generation token, renewed by migrations and bulk
loads, covers rows written without signals (a re-seeded database reuses primary keys).
"""

from __future__ import annotations

from functools import cache as once

from django.conf import settings
from django.contrib.auth import backends, get_user_model
from django.core.cache import cache
from django.utils.module_loading import import_string

from core import versioned
from core.personal import normalize_mobile

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


def mobile_in(login: str) -> str:
    """The mobile number ``login`` spells (spaces and dashes allowed), or ""."""
    phone = normalize_mobile(login or "")
    return phone if phone.isdigit() and len(phone) == 11 else ""


def _by_mobile(login: str):
    """Active users with this mobile number, unless ``login`` is a user name."""
    User = get_user_model()
    phone = mobile_in(login)
    if not phone or User.objects.filter(username=login).exists():
        return User.objects.none()
    return User.objects.filter(phone=phone, is_active=True)


def shared_mobile(login: str) -> bool:
    """``login`` is a mobile number (not a user name) that several active accounts share."""
    return _by_mobile(login)[:2].count() > 1


@once
def _keys_read_with_the_user() -> tuple:
    # Named in settings: the apps that keep them (grids, notifications) sit above this one.
    return tuple(import_string(path) for path in getattr(settings, "USER_CACHE_KEYS", ()))


class ModelBackend(backends.ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None or username is None or password is None:
            return user
        found = list(_by_mobile(username)[:2])
        if len(found) != 1:
            return None
        user = found[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        if not versioned.enabled():
            return super().get_user(user_id)
        version, key = version_key(user_id), entry_key(user_id)
        # With what every page reads of this user next (their posts, their unread count):
        # one round trip to the cache instead of three.
        also = [name for keys_of in _keys_read_with_the_user() for name in keys_of(user_id)]
        found = cache.get_many([GENERATION, version, key, *also])
        # An unknown or inactive user (None) is not cached: such a request is rare and
        # must keep failing.
        user = versioned.read(
            version,
            key,
            lambda: super(ModelBackend, self).get_user(user_id),
            versioned.current(GENERATION, found),
            found=found,
        )
        if user is not None and also:
            versioned.take_found(user, found)
        return user
