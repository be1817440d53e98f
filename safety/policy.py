"""Safety patrols: who patrols, who follows the hazards, who sets the checklists
(registered in ``grids.policy``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.policy import register
from grids.roles import Role
from grids.scope import can


class SafetyCapability(models.TextChoices):
    PATROL = "safety_patrol", _("Patrol places with the safety checklist (安全巡查)")
    MANAGE_HAZARDS = "manage_hazards", _("Follow safety hazards: fix-by dates and re-checks")
    SET_CHECKLISTS = "set_checklists", _("Set the safety checklists and patrol intervals")


register(
    SafetyCapability,
    {
        # The grid's team walks its places (网格+安全), as it patrols them for visits.
        SafetyCapability.PATROL: (
            Role.COMMUNITY_STAFF,
            Role.GRID_LEADER,
            Role.GRID_WORKER,
            Role.PART_TIME_WORKER,
        ),
        # The community and the street chase what the grid could not get fixed.
        SafetyCapability.MANAGE_HAZARDS: (Role.COMMUNITY_STAFF, Role.STREET_STAFF),
        # One checklist for the whole district, kept in the admin.
        SafetyCapability.SET_CHECKLISTS: (Role.DISTRICT_STAFF,),
    },
    admin={
        Role.DISTRICT_STAFF: {
            "safety.checklistitem": "vac",
            "safety.patrolplan": "vac",
        }
    },
)


def may_patrol(user, area) -> bool:
    return can(user, SafetyCapability.PATROL, area)


def may_act_on_hazard(user, area) -> bool:
    """Marking fixed and re-checking: the grid's team on the spot, or the officers above."""
    return may_patrol(user, area) or can(user, SafetyCapability.MANAGE_HAZARDS, area)
