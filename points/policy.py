"""The points' capability, who holds it, and the rules about one branch or one item."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.policy import BranchCapability
from grids.policy import TerritoryCapability, register
from grids.roles import Role
from grids.scope import can


class PointsCapability(models.TextChoices):
    VERIFY_POINTS = "verify_points", _("Verify members' declared service points (社区核实)")


register(PointsCapability, {PointsCapability.VERIFY_POINTS: (Role.COMMUNITY_STAFF,)})


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
