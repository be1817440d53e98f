"""Scoped access: what a user may see is what lies under the areas of their posts.

Every model's ``visible_to(user)`` builds its filter here, so one rule decides
what every view, export, admin list and task acting for a user can reach.
A materialised path makes "everything under my street" a prefix match.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from grids.roles import ROLE_CAPABILITIES, ROLE_SENIORITY, Capability

if TYPE_CHECKING:
    from grids.models import Post

_CACHE_ATTR = "_grids_active_posts"


def active_posts(user) -> list[Post]:
    """The user's current posts with their areas, read once per request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from grids.models import Post

        cached = list(Post.objects.active().filter(user=user).select_related("area"))
        cached.sort(key=lambda post: (ROLE_SENIORITY.index(post.role), post.area.path))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_posts(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _collapse(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by a shorter prefix in the list."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return kept


def scope_paths(user, capability: str = Capability.VIEW_TERRITORY) -> list[str] | None:
    """Area paths under which ``user`` holds ``capability``.

    ``None`` means everywhere (superusers); an empty list means nowhere.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    return _collapse(
        post.area.path for post in active_posts(user) if capability in ROLE_CAPABILITIES[post.role]
    )


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

    def visible_to(self, user, capability: str = Capability.VIEW_TERRITORY):
        return self.filter(path_q(scope_paths(user, capability), self.area_path))
