"""Who sets the scheme, who publishes a month's scorecards, who scores the manual items, who
holds and reads the talks with the lowest-ranked (末位约谈), who keeps the career ladder."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Area
from grids.policy import TerritoryCapability, register
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


def may_record_talk(user, area) -> bool:
    """Those who score a grid's workers also hold the talk with the lowest-ranked of them."""
    return can(user, AppraisalCapability.SCORE_WORKERS, area)


def may_read_talks(user, area) -> bool:
    """A talk's notes are for the officers over the worker's area (the staff who manage its
    posts: community, street, district), not for the other workers of the grid."""
    return may_record_talk(user, area) or can(user, TerritoryCapability.MANAGE_POSTS, area)


class LadderCapability(models.TextChoices):
    SET_GRADES = "set_grades", _("Set a grid worker's grade (三岗十八级)")
    DECIDE_PROMOTIONS = "decide_promotions", _("Approve or reject grade promotions")


register(
    LadderCapability,
    {
        # The district sets the ladder (in the admin) and may place a worker on it; the
        # street, which knows its workers, too.
        LadderCapability.SET_GRADES: (Role.DISTRICT_STAFF, Role.STREET_STAFF),
        LadderCapability.DECIDE_PROMOTIONS: (Role.STREET_STAFF,),
    },
    admin={Role.DISTRICT_STAFF: {"appraisal.grade": "vac"}},
)


def may_decide_promotions(user, area) -> bool:
    """The street decides its workers' promotions, from its own page."""
    return area.level in (Level.STREET, Level.TOWN) and can(
        user, LadderCapability.DECIDE_PROMOTIONS, area
    )


def may_set_grade(user, area) -> bool:
    """District and street staff over a worker's grid (the area of their current scored post)
    place them on the ladder by hand; ``set_grade`` checks the same rule. ``area`` is None for a
    worker without a scored post: nobody places them."""
    return area is not None and can(user, LadderCapability.SET_GRADES, area)


def may_set_scheme(user) -> bool:
    """The scheme is the district's: district staff (or a superuser) set it."""
    if not getattr(user, "is_authenticated", False):
        return False
    paths = scope_paths(user, AppraisalCapability.SET_SCHEME)
    return paths is None or any(len(path) <= Area.steplen for path in paths)
