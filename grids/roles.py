"""Roles, the levels they are held at, and what each lets a user do.

This table is the one place that says who may do what; scope (where) comes
from the areas of the user's posts, see ``grids.scope``.
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


class Capability(models.TextChoices):
    VIEW_TERRITORY = "view_territory", _("See the areas and teams")
    VIEW_HOUSEHOLDS = "view_households", _("See households and residents (masked)")
    EDIT_HOUSEHOLDS = "edit_households", _("Add and edit households and residents")
    REVEAL_PERSONAL = "reveal_personal", _("See a full ID or mobile number (audited)")
    EXPORT = "export", _("Export lists")
    MANAGE_POSTS = "manage_posts", _("Appoint and end posts")
    EDIT_AREAS = "edit_areas", _("Edit areas and boundaries")
    MANAGE_BRANCHES = "manage_branches", _("Set up party branches, members and co-building")
    VERIFY_REGISTRATIONS = "verify_registrations", _("Confirm in-service members' registrations")
    LINK_HOUSEHOLDS = "link_households", _("Link party members to households")
    DISPATCH_TICKETS = "dispatch_tickets", _("Accept, assign and supervise resident requests")
    CLAIM_TICKETS = "claim_tickets", _("Claim resident requests from the open pool")
    MANAGE_STATIONS = "manage_stations", _("Add and edit service stations")
    INSPECT_STATIONS = "inspect_stations", _("Record standardisation inspections of stations")
    LOG_ACTIVITIES = "log_station_activities", _("Log station activities and people served")
    LOG_VISITS = "log_visits", _("Log household visits and patrols (走访)")
    SUPERVISE_VISITS = "supervise_visits", _("Follow visit coverage and set visit plans")
    VERIFY_POINTS = "verify_points", _("Verify members' declared service points (社区核实)")


_C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DISTRICT_STAFF: frozenset(
        {
            _C.VIEW_TERRITORY,
            _C.VIEW_HOUSEHOLDS,
            _C.EXPORT,
            _C.MANAGE_POSTS,
            _C.EDIT_AREAS,
            _C.INSPECT_STATIONS,
            # The command centre takes in hand what the overdue ladder brings to the district.
            _C.DISPATCH_TICKETS,
            _C.SUPERVISE_VISITS,
        }
    ),
    Role.STREET_STAFF: frozenset(
        {
            _C.VIEW_TERRITORY,
            _C.VIEW_HOUSEHOLDS,
            _C.EXPORT,
            _C.MANAGE_POSTS,
            _C.MANAGE_BRANCHES,
            _C.DISPATCH_TICKETS,
            _C.INSPECT_STATIONS,
            _C.SUPERVISE_VISITS,
        }
    ),
    Role.COMMUNITY_STAFF: frozenset(
        {
            _C.VIEW_TERRITORY,
            _C.VIEW_HOUSEHOLDS,
            _C.EDIT_HOUSEHOLDS,
            _C.REVEAL_PERSONAL,
            _C.EXPORT,
            _C.MANAGE_POSTS,
            _C.MANAGE_BRANCHES,
            _C.VERIFY_REGISTRATIONS,
            _C.LINK_HOUSEHOLDS,
            _C.DISPATCH_TICKETS,
            # The community runs its centre and stations, and inspects them.
            _C.MANAGE_STATIONS,
            _C.INSPECT_STATIONS,
            _C.LOG_ACTIVITIES,
            # Sets its grids' visit plans and follows coverage; visits too.
            _C.VERIFY_POINTS,
            _C.SUPERVISE_VISITS,
            _C.LOG_VISITS,
        }
    ),
    # The grid leader is normally the grid branch's secretary ("一肩挑").
    Role.GRID_LEADER: frozenset(
        {
            _C.VIEW_TERRITORY,
            _C.VIEW_HOUSEHOLDS,
            _C.EDIT_HOUSEHOLDS,
            _C.REVEAL_PERSONAL,
            _C.EXPORT,
            _C.LINK_HOUSEHOLDS,
            _C.DISPATCH_TICKETS,
            _C.CLAIM_TICKETS,
            # Runs the grid's station, but never inspects it.
            _C.MANAGE_STATIONS,
            _C.LOG_ACTIVITIES,
            _C.LOG_VISITS,
        }
    ),
    Role.GRID_WORKER: frozenset(
        {
            _C.VIEW_TERRITORY,
            _C.VIEW_HOUSEHOLDS,
            _C.EDIT_HOUSEHOLDS,
            _C.REVEAL_PERSONAL,
            _C.CLAIM_TICKETS,
            _C.LOG_ACTIVITIES,
            _C.LOG_VISITS,
        }
    ),
    # Party members and micro-grid liaisons visit the households they are linked to (联户).
    Role.PART_TIME_WORKER: frozenset(
        {_C.VIEW_TERRITORY, _C.VIEW_HOUSEHOLDS, _C.CLAIM_TICKETS, _C.LOG_VISITS}
    ),
    Role.LIAISON: frozenset(
        {_C.VIEW_TERRITORY, _C.VIEW_HOUSEHOLDS, _C.CLAIM_TICKETS, _C.LOG_VISITS}
    ),
    Role.VOLUNTEER: frozenset({_C.VIEW_TERRITORY, _C.CLAIM_TICKETS}),
    Role.MOBILE_WORKER: frozenset({_C.VIEW_TERRITORY}),
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
