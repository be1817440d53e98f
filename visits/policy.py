"""Visits (走访): the capabilities, and who holds them (registered in ``grids.policy``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.policy import register
from grids.roles import Role


class VisitCapability(models.TextChoices):
    LOG_VISITS = "log_visits", _("Log household visits and patrols (走访)")
    SUPERVISE_VISITS = "supervise_visits", _("Follow visit coverage and set visit plans")


register(
    VisitCapability,
    {
        # The grid's own team, and the party members and micro-grid liaisons who visit the
        # households they are linked to (联户).
        VisitCapability.LOG_VISITS: (
            Role.COMMUNITY_STAFF,
            Role.GRID_LEADER,
            Role.GRID_WORKER,
            Role.PART_TIME_WORKER,
            Role.LIAISON,
        ),
        # The community sets its grids' visit plans and follows coverage; the street and
        # the district follow it too.
        VisitCapability.SUPERVISE_VISITS: (
            Role.DISTRICT_STAFF,
            Role.STREET_STAFF,
            Role.COMMUNITY_STAFF,
        ),
    },
)
