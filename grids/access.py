"""How a page reaches an area named in its URL: one rule for every app's views.

An area the user cannot see is a 404 whether or not it exists, so codes cannot be probed;
an area they see but where their posts do not give the capability the page needs is a 403.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from grids.models import Area
from grids.policy import TerritoryCapability
from grids.roles import COMMUNITY_LEVELS
from grids.scope import can


def area_or_404(
    user, code: str, capability: str | None = None, levels: Iterable[str] | None = None
) -> Area:
    """The area with ``code`` that ``user`` can see (and at one of ``levels``), else 404;
    403 unless ``user`` holds ``capability`` there."""
    areas = Area.objects.visible_to(user)
    if levels is not None:
        areas = areas.filter(level__in=levels)
    area = get_object_or_404(areas, code=code)
    # Seeing the area is VIEW_TERRITORY already: asking again would read the posts twice.
    if capability not in (None, TerritoryCapability.VIEW_TERRITORY) and not can(
        user, capability, area
    ):
        raise PermissionDenied
    return area


def community_or_404(user, code: str, capability: str | None = None) -> Area:
    """A community or village, as ``area_or_404``: another level's code is a 404."""
    return area_or_404(user, code, capability, levels=COMMUNITY_LEVELS)
