"""Scoped access: what a user may see is what lies under the areas of their posts.

Every model's ``visible_to(user)`` builds its filter here, so one rule decides
what every view, export, admin list and task acting for a user can reach.
A materialised path makes "everything under my street" a prefix match.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core import versioned
from grids.policy import TerritoryCapability, roles_holding
from grids.roles import ROLE_SENIORITY

if TYPE_CHECKING:
    from grids.models import Post

_CACHE_ATTR = "_grids_active_posts"

# Every page reads the user's posts (what they may see); on a shared cache they are kept
# there under this version, which any change to a post or an area renews (grids/apps.py).
SCOPE_VERSION = "grids:scope-version"


def posts_key(user) -> str:
    return _posts_key_of(user.pk)


def _posts_key_of(user_pk: int) -> str:
    return f"grids:posts:{user_pk}"


def posts_cache_keys(user) -> list[str]:
    """Keys a view may add to its own ``cache.get_many`` (then ``versioned.take_found``),
    so that reading the user's posts costs no round trip of its own."""
    if not getattr(user, "is_authenticated", False):
        return []
    return posts_cache_keys_of(user.pk)


def posts_cache_keys_of(user_pk: int) -> list[str]:
    """The same, by the user's id (``settings.USER_CACHE_KEYS``)."""
    if not versioned.enabled():
        return []
    return [SCOPE_VERSION, _posts_key_of(user_pk)]


def _covered_posts_q(user, on) -> Q:
    """Posts (of others) that ``user`` covers on ``on`` (AB岗, ``grids.cover``): their holder
    is on leave then."""
    Cover = apps.get_model("grids", "Cover")
    Leave = apps.get_model("grids", "Leave")
    return Q(
        Exists(Cover.objects.filter(post=OuterRef("pk"), covered_by=user, active=True)),
        Exists(Leave.objects.filter(user=OuterRef("user"), starts_on__lte=on, ends_on__gte=on)),
    )


def _posts_from_database(user, today) -> list[Post]:
    # Looked up, not imported: the models' querysets are scoped by this module.
    Post = apps.get_model("grids", "Post")
    # The user's own posts, and those of colleagues on leave whom they cover today (AB岗).
    posts = list(
        Post.objects.active(today)
        .filter(Q(user=user) | _covered_posts_q(user, today))
        .select_related("area")
        .defer("area__boundary")
    )
    posts.sort(key=lambda post: (ROLE_SENIORITY.index(post.role), post.area.path))
    return posts


def _read_posts(user) -> list[Post]:
    today = timezone.localdate()
    if not versioned.enabled():
        return _posts_from_database(user, today)
    return versioned.read(
        SCOPE_VERSION,
        posts_key(user),
        lambda: _posts_from_database(user, today),
        today.isoformat(),
        found=versioned.found_on(user),
    )


def _all_posts(user) -> list[Post]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = _read_posts(user)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def active_posts(user) -> list[Post]:
    """The user's current posts with their areas, read once per request (from the shared
    cache when it holds them for today and the current scope version)."""
    return [post for post in _all_posts(user) if post.user_id == user.pk]


def covered_posts(user) -> list[Post]:
    """The posts of colleagues on leave whom ``user`` covers today (``grids.cover``): they
    widen where the user may act, not what the user holds."""
    return [post for post in _all_posts(user) if post.user_id != user.pk]


def forget_posts(user) -> None:
    """The user's posts changed: read them again in this request (later requests see the
    new scope version the change set)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    versioned.forget_found(user)


def scope_changed() -> None:
    """A post or an area changed: every user's posts are read again."""
    versioned.bump([SCOPE_VERSION])


def _collapse(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by a shorter prefix in the list."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return kept


def scope_paths(user, capability: str = TerritoryCapability.VIEW_TERRITORY) -> list[str] | None:
    """Area paths under which ``user`` holds ``capability``.

    ``None`` means everywhere (superusers); an empty list means nowhere.
    """
    holders = roles_holding(capability)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    return _collapse(post.area.path for post in _all_posts(user) if post.role in holders)


def path_q(paths: list[str] | None, *fields: str) -> Q:
    """Rows whose area (through any of ``fields``) lies under one of ``paths``."""
    if paths is None:
        return Q()
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for field in fields:
        for path in paths:
            condition |= Q(**{f"{field}__startswith": path})
    return condition


def can(user, capability: str, area) -> bool:
    """Whether ``user`` holds ``capability`` at ``area`` (at it or above it)."""
    paths = scope_paths(user, capability)
    if paths is None:
        return True
    return any(area.path.startswith(path) for path in paths)


class ScopedQuerySet(models.QuerySet):
    """``visible_to(user)`` for rows that reach their area through ``area_path``."""

    area_path = "area__path"

    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        return self.filter(path_q(scope_paths(user, capability), self.area_path))
