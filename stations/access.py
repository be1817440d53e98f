"""The stations app's capabilities, kept in the one role table (``grids.roles``).

- ``MANAGE_STATIONS``: community staff run the centre and the stations of their
  community; a grid leader runs the grid's station. Street and district staff supervise.
- ``INSPECT_STATIONS``: "四有三规范" inspections by the supervising levels (community,
  street, district), never by the grid leader who runs the station.
- ``LOG_ACTIVITIES``: the station's own team (community staff, grid leader, full-time
  grid worker) logs events and people served.
"""

from grids.roles import Capability
from grids.scope import can, scope_paths
from grids.services import require

MANAGE_STATIONS = Capability.MANAGE_STATIONS
INSPECT_STATIONS = Capability.INSPECT_STATIONS
LOG_ACTIVITIES = Capability.LOG_ACTIVITIES

__all__ = ["INSPECT_STATIONS", "LOG_ACTIVITIES", "MANAGE_STATIONS", "can", "require", "scope_paths"]
