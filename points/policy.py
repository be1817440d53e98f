"""The points' capability, who holds it, and the rules about one branch or one item."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.policy import BranchCapability
from grids.policy import TerritoryCapability, register
from grids.roles import Role
from grids.scope import can


class PointsCapability(models.TextChoices):
    VERIFY_POINTS = "verify_points", _("Verify members' declared service points (社区核实)")
    MANAGE_REWARDS = "manage_rewards", _("Keep the community's rewards catalogue and stock")
    MANAGE_SCHEMES = "manage_schemes", _("Set up points schemes and revise their rules")
    SET_UP_HONOUR_LISTS = "set_up_honour_lists", _("Set up red and black lists (红黑榜)")


register(
    PointsCapability,
    {
        PointsCapability.VERIFY_POINTS: (Role.COMMUNITY_STAFF,),
        # Issue 20: what only a superuser could change in the admin, each at its level.
        PointsCapability.MANAGE_REWARDS: (Role.COMMUNITY_STAFF,),
        PointsCapability.MANAGE_SCHEMES: (Role.DISTRICT_STAFF,),
        # The street sets up its lists; the district keeps the district-wide ones.
        PointsCapability.SET_UP_HONOUR_LISTS: (Role.STREET_STAFF, Role.DISTRICT_STAFF),
    },
)


def is_convener(user, branch) -> bool:
    """The branch secretary (召集人), or community staff standing in for them."""
    secretary = branch.secretary
    return (secretary is not None and secretary.user_id == user.pk) or can(
        user, BranchCapability.MANAGE_BRANCHES, branch.community
    )


def may_object(user, declaration) -> bool:
    """Anyone who can see the community, or who is a party member of it, may object."""
    if not getattr(user, "is_authenticated", False):
        return False
    community = declaration.account.community
    member = getattr(user, "party_member", None)
    return can(user, TerritoryCapability.VIEW_TERRITORY, community) or (
        member is not None and member.community_id == community.pk
    )
