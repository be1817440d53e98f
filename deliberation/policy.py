"""Who runs the deliberation (议事协商) of a community, and who raises topics for residents."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.policy import register
from grids.roles import Role
from grids.scope import can


class DeliberationCapability(models.TextChoices):
    MANAGE_DELIBERATION = (
        "manage_deliberation",
        _("Run a community's deliberation: accept topics, record meetings, decide, follow up"),
    )
    RAISE_TOPICS = "raise_topics", _("Raise a deliberation topic on residents' behalf")


register(
    DeliberationCapability,
    {
        DeliberationCapability.MANAGE_DELIBERATION: (Role.COMMUNITY_STAFF, Role.STREET_STAFF),
        # Workers hear residents on their rounds and bring what needs a meeting.
        DeliberationCapability.RAISE_TOPICS: (
            Role.COMMUNITY_STAFF,
            Role.STREET_STAFF,
            Role.GRID_LEADER,
            Role.GRID_WORKER,
            Role.PART_TIME_WORKER,
        ),
    },
)


def may_manage(user, community) -> bool:
    return can(user, DeliberationCapability.MANAGE_DELIBERATION, community)


def may_raise(user, grid) -> bool:
    return can(user, DeliberationCapability.RAISE_TOPICS, grid)
