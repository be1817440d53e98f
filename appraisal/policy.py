"""Who publishes a month's scorecards and who scores the manual items."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.policy import register
from grids.roles import Level, Role
from grids.scope import can


class AppraisalCapability(models.TextChoices):
    PUBLISH_SCORECARDS = "publish_scorecards", _("Publish and correct a month's scorecards")
    SCORE_WORKERS = "score_workers", _("Score grid workers' manual scorecard items")


register(
    AppraisalCapability,
    {
        AppraisalCapability.PUBLISH_SCORECARDS: (Role.STREET_STAFF,),
        AppraisalCapability.SCORE_WORKERS: (Role.STREET_STAFF, Role.COMMUNITY_STAFF),
    },
)


def may_publish(user, area) -> bool:
    """The street publishes (and corrects) its whole month at once, from its own ranking:
    never a community's slice of it."""
    return area.level in (Level.STREET, Level.TOWN) and can(
        user, AppraisalCapability.PUBLISH_SCORECARDS, area
    )
