"""Who scores the property companies (the community) and who publishes the half-yearly red
and black list (the street or the district); the district keeps companies, estates and the
standard in the admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.policy import register
from grids.roles import COMMUNITY_LEVELS, Level, Role
from grids.scope import can


class EstatesCapability(models.TextChoices):
    RATE_PROPERTY = "rate_property", _("Star-rate the property companies of a community's estates")
    PUBLISH_PROPERTY_LIST = (
        "publish_property_list",
        _("Publish the half-yearly red and black list of property companies"),
    )


register(
    EstatesCapability,
    {
        EstatesCapability.RATE_PROPERTY: (Role.COMMUNITY_STAFF,),
        EstatesCapability.PUBLISH_PROPERTY_LIST: (Role.STREET_STAFF, Role.DISTRICT_STAFF),
    },
    admin={
        Role.DISTRICT_STAFF: {
            "estates.company": "vac",
            "estates.estate": "vac",
            "estates.standarditem": "vac",
        }
    },
)

LIST_LEVELS = (Level.DISTRICT, Level.STREET, Level.TOWN)


def may_rate(user, community) -> bool:
    """The community rates the companies serving its estates, at its own level."""
    return community.level in COMMUNITY_LEVELS and can(
        user, EstatesCapability.RATE_PROPERTY, community
    )


def may_publish(user, area) -> bool:
    """A street publishes its own list; the district its district-wide one."""
    return area.level in LIST_LEVELS and can(user, EstatesCapability.PUBLISH_PROPERTY_LIST, area)
