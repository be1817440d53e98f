"""Who sets the scheme, who publishes a month's scorecards and who scores the manual items."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Area
from grids.policy import register
from grids.roles import Level, Role
from grids.scope import can, scope_paths


class AppraisalCapability(models.TextChoices):
    PUBLISH_SCORECARDS = "publish_scorecards", _("Publish and correct a month's scorecards")
    SCORE_WORKERS = "score_workers", _("Score grid workers' manual scorecard items")
    SET_SCHEME = "set_scheme", _("Set the district's scorecard scheme (items and weights)")


register(
    AppraisalCapability,
    {
        AppraisalCapability.PUBLISH_SCORECARDS: (Role.STREET_STAFF,),
        AppraisalCapability.SCORE_WORKERS: (Role.STREET_STAFF, Role.COMMUNITY_STAFF),
        # Issue 23: the district sets the scheme, as it sets the points rules.
        AppraisalCapability.SET_SCHEME: (Role.DISTRICT_STAFF,),
    },
)


def may_publish(user, area) -> bool:
    """The street publishes (and corrects) its whole month at once, from its own ranking:
    never a community's slice of it."""
    return area.level in (Level.STREET, Level.TOWN) and can(
        user, AppraisalCapability.PUBLISH_SCORECARDS, area
    )


def may_set_scheme(user) -> bool:
    """The scheme is the district's: district staff (or a superuser) set it."""
    if not getattr(user, "is_authenticated", False):
        return False
    paths = scope_paths(user, AppraisalCapability.SET_SCHEME)
    return paths is None or any(len(path) <= Area.steplen for path in paths)
