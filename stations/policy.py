"""The stations' capabilities, who holds them, and the officers' admin pages for stations.

- ``MANAGE_STATIONS``: community staff run the centre and the stations of their
  community; a grid leader runs the grid's station. Street and district staff supervise.
- ``INSPECT_STATIONS``: "四有三规范" inspections by the supervising levels (community,
  street, district), never by the grid leader who runs the station.
- ``LOG_ACTIVITIES``: the station's own team (community staff, grid leader, full-time
  grid worker) logs events and people served.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.policy import register
from grids.roles import Role


class StationCapability(models.TextChoices):
    MANAGE_STATIONS = "manage_stations", _("Add and edit service stations")
    INSPECT_STATIONS = "inspect_stations", _("Record standardisation inspections of stations")
    LOG_ACTIVITIES = "log_station_activities", _("Log station activities and people served")


register(
    StationCapability,
    {
        StationCapability.MANAGE_STATIONS: (Role.COMMUNITY_STAFF, Role.GRID_LEADER),
        StationCapability.INSPECT_STATIONS: (
            Role.DISTRICT_STAFF,
            Role.STREET_STAFF,
            Role.COMMUNITY_STAFF,
        ),
        StationCapability.LOG_ACTIVITIES: (
            Role.COMMUNITY_STAFF,
            Role.GRID_LEADER,
            Role.GRID_WORKER,
        ),
    },
    # Inspections are recorded on the station pages; the admin only shows them. The district
    # keeps the catalogue of services and facilities that stations choose from.
    admin={
        Role.DISTRICT_STAFF: {
            "stations.station": "v",
            "stations.inspection": "v",
            "stations.activity": "v",
            "stations.monthlyserved": "v",
            "stations.servicetype": "vac",
            "stations.facility": "vac",
        },
        Role.STREET_STAFF: {
            "stations.station": "v",
            "stations.inspection": "v",
            "stations.activity": "v",
            "stations.monthlyserved": "v",
        },
        Role.COMMUNITY_STAFF: {
            "stations.station": "vc",
            "stations.stationstaff": "vacd",
            "stations.inspection": "v",
            "stations.activity": "vc",
            "stations.monthlyserved": "vc",
        },
    },
)
