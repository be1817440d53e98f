from tests.access import FOUND, LOGIN, MISSING, OK, VIEW

CASES = {
    # Every persona holds a post: each is sent to the dashboard of its widest area.
    "dashboard_home": ("get", "territory", lambda t: {}, (FOUND,) * 5 + (LOGIN,)),
    "dashboard": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "dashboard_data": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "dashboard_export": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
}
CASES["dashboard_points"] = ("get", "territory", lambda t: {"code": t.grid.code}, VIEW)
CASES["dashboard_wall"] = ("get", "territory", lambda t: {"code": t.grid.code}, VIEW)
CASES["dashboard_wall_data"] = ("get", "territory", lambda t: {"code": t.grid.code}, VIEW)
# The departments' league table of a street, a community or the district (not of a grid).
_DEPARTMENTS = (MISSING, MISSING, OK, MISSING, OK, LOGIN)
CASES["dashboard_departments"] = (
    "get",
    "territory",
    lambda t: {"code": t.street.code},
    _DEPARTMENTS,
)
CASES["dashboard_departments_export"] = (
    "get",
    "territory",
    lambda t: {"code": t.street.code},
    _DEPARTMENTS,
)
# Mediation, safety, deliberation and 红色物业 of an area: whoever sees the area's dashboard
# (the own worker their grid; another grid is not found).
CASES["dashboard_affairs"] = ("get", "territory", lambda t: {"code": t.grid.code}, VIEW)
CASES["dashboard_affairs_export"] = ("get", "territory", lambda t: {"code": t.grid.code}, VIEW)
