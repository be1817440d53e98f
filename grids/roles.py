"""Roles and the levels of the tree they are held at.

What each role lets a user do is the policy table (``grids.policy`` and every app's
``policy`` module); where comes from the areas of the user's posts, see ``grids.scope``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    TOWN = "town", _("Town")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")
    MICRO_GRID = "micro_grid", _("Micro-grid")


# Tree depth of each level (treebeard depth starts at 1).
LEVEL_DEPTH = {
    Level.DISTRICT: 1,
    Level.STREET: 2,
    Level.TOWN: 2,
    Level.COMMUNITY: 3,
    Level.VILLAGE: 3,
    Level.GRID: 4,
    Level.MICRO_GRID: 5,
}
GRID_DEPTH = LEVEL_DEPTH[Level.GRID]
# Communities (社区) and villages (村) sit at the same depth and do the same work.
COMMUNITY_LEVELS = (Level.COMMUNITY, Level.VILLAGE)


class Role(models.TextChoices):
    DISTRICT_STAFF = "district_staff", _("District staff")
    STREET_STAFF = "street_staff", _("Street/town staff")
    COMMUNITY_STAFF = "community_staff", _("Community/village staff")
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_WORKER = "grid_worker", _("Full-time grid worker")
    PART_TIME_WORKER = "part_time_worker", _("Part-time grid worker (party member)")
    LIAISON = "liaison", _("Micro-grid liaison")
    VOLUNTEER = "volunteer", _("Grid volunteer")
    MOBILE_WORKER = "mobile_worker", _("Mobile grid worker (rider)")


ROLE_LEVELS: dict[str, set[str]] = {
    Role.DISTRICT_STAFF: {Level.DISTRICT},
    Role.STREET_STAFF: {Level.STREET, Level.TOWN},
    Role.COMMUNITY_STAFF: {Level.COMMUNITY, Level.VILLAGE},
    Role.GRID_LEADER: {Level.GRID},
    Role.GRID_WORKER: {Level.GRID},
    Role.PART_TIME_WORKER: {Level.GRID},
    Role.LIAISON: {Level.MICRO_GRID, Level.GRID},
    Role.VOLUNTEER: {Level.GRID},
    # Riders cross grids on their rounds; they are attached to the area they patrol.
    Role.MOBILE_WORKER: {Level.GRID, Level.COMMUNITY, Level.VILLAGE, Level.STREET, Level.TOWN},
}


# Where a user with several posts lands: the most senior post decides.
ROLE_SENIORITY = [
    Role.DISTRICT_STAFF,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.PART_TIME_WORKER,
    Role.LIAISON,
    Role.VOLUNTEER,
    Role.MOBILE_WORKER,
]
