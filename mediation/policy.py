"""Who records mediation cases, and who sees full numbers of their parties."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.policy import TerritoryCapability, register
from grids.roles import Role
from grids.scope import can


class MediationCapability(models.TextChoices):
    RECORD_MEDIATION = "record_mediation", _("Record mediation cases (矛盾纠纷调解)")


register(
    MediationCapability,
    {
        # The grid's team meets the parties; the community and the street mediate too.
        MediationCapability.RECORD_MEDIATION: (
            Role.GRID_LEADER,
            Role.GRID_WORKER,
            Role.COMMUNITY_STAFF,
            Role.STREET_STAFF,
        ),
    },
    # The district keeps the list of studios (调解工作室).
    admin={Role.DISTRICT_STAFF: {"mediation.studio": "vac"}},
)

# Cases name their parties: they are seen by those who see households.
VIEW_CASES = TerritoryCapability.VIEW_HOUSEHOLDS


def may_record(user, grid) -> bool:
    return can(user, MediationCapability.RECORD_MEDIATION, grid)


def may_reveal(user, grid) -> bool:
    return can(user, TerritoryCapability.REVEAL_PERSONAL, grid)
