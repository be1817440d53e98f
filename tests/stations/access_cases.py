from tests.access import DENIED, EDIT, LOGIN, MANAGE, MISSING, PUBLIC, VIEW

# Managing stations belongs to community staff and grid leaders (stations.policy), none of
# the matrix personas: the grid worker and officers above are refused, strangers see 404.
MANAGE_STATIONS = (DENIED, MISSING, DENIED, MISSING, DENIED, LOGIN)
# Inspections are recorded by community, street and district staff.
INSPECT = MANAGE
# Activities and people served are logged by the station's team, grid workers included.
LOG = EDIT

_grid = lambda t: {"code": t.grid.code}  # noqa: E731
_code = lambda s: {"code": s.code}  # noqa: E731
_pk = lambda o: {"pk": o.pk}  # noqa: E731

# name: (method, target fixture, kwargs from the target, expected per persona)
CASES = {
    # Public pages: no sign-in, nothing personal on them (tests/stations/test_public.py).
    "station_directory": ("get", "territory", lambda t: {}, PUBLIC),
    "station_public": ("get", "station", _code, PUBLIC),
    "station_poster": ("get", "station", _code, PUBLIC),
    "station_photo": (
        "get",
        "station_photo",
        lambda p: {"code": p.station.code, "pk": p.pk},
        PUBLIC,
    ),
    "grid_poster": ("get", "territory", _grid, PUBLIC),
    # Staff pages.
    "station_list": ("get", "territory", _grid, VIEW),
    "station_coverage": ("get", "territory", _grid, VIEW),
    "station_create": ("get", "territory", _grid, MANAGE_STATIONS),
    "station_detail": ("get", "station", _code, VIEW),
    "station_edit": ("get", "station", _code, MANAGE_STATIONS),
    "station_photo_add": ("post", "station", _code, MANAGE_STATIONS),
    "station_photo_delete": ("post", "station_photo", _pk, MANAGE_STATIONS),
    "inspection_create": ("get", "station", _code, INSPECT),
    "inspection_detail": ("get", "inspection", _pk, VIEW),
    "inspection_photo": ("get", "inspection_item", _pk, VIEW),
    "activity_list": ("get", "station", _code, VIEW),
    "activity_create": ("get", "station", _code, LOG),
    "activity_detail": ("get", "activity", _pk, VIEW),
    "activity_photo": ("get", "activity_photo", _pk, VIEW),
    "served_record": ("get", "station", _code, LOG),
}
