"""The party branches' capabilities and who holds them (see ``grids.policy``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.policy import register
from grids.roles import Role


class BranchCapability(models.TextChoices):
    MANAGE_BRANCHES = "manage_branches", _("Set up party branches, members and co-building")
    VERIFY_REGISTRATIONS = "verify_registrations", _("Confirm in-service members' registrations")
    LINK_HOUSEHOLDS = "link_households", _("Link party members to households")


register(
    BranchCapability,
    {
        BranchCapability.MANAGE_BRANCHES: (Role.STREET_STAFF, Role.COMMUNITY_STAFF),
        BranchCapability.VERIFY_REGISTRATIONS: (Role.COMMUNITY_STAFF,),
        # The grid leader is normally the grid branch's secretary ("一肩挑").
        BranchCapability.LINK_HOUSEHOLDS: (Role.COMMUNITY_STAFF, Role.GRID_LEADER),
    },
)
