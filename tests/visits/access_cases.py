from tests.access import DENIED, EDIT, FOUND, LOGIN, MISSING, OK, PUBLIC, VIEW

NOT_SCOPED = {
    "service_worker",  # public script, no data (tests/visits/test_service_worker.py)
}

# name: (method, target fixture, kwargs from the target, expected per persona)
CASES = {
    # 走访: grid workers log visits where they work; officers above see but do not visit.
    "my_visits": ("get", "territory", lambda t: {}, (OK, OK, DENIED, DENIED, DENIED, LOGIN)),
    # Kept by the service worker for offline use: the generic form and the compact list are
    # the visiting workers'; the offline page has nothing personal on it.
    "visit_offline_form": (
        "get",
        "territory",
        lambda t: {},
        (OK, OK, DENIED, DENIED, DENIED, LOGIN),
    ),
    "visit_offline_households": (
        "get",
        "territory",
        lambda t: {},
        (OK, OK, DENIED, DENIED, DENIED, LOGIN),
    ),
    "visits_offline": ("get", "territory", lambda t: {}, PUBLIC),
    "visit_household": ("get", "household", lambda h: {"pk": h.pk}, EDIT),
    "visit_place": ("get", "place", lambda p: {"pk": p.pk}, EDIT),
    # The target is in the body: a POST naming none finds nothing (tests/visits/test_visits.py
    # tries other grids' households).
    "visit_submit": (
        "post",
        "territory",
        lambda t: {},
        (MISSING, MISSING, MISSING, MISSING, MISSING, LOGIN),
    ),
    # Whether one's own visit arrived (tests/visits/test_offline_pages.py): anyone signed in
    # may ask, and hears only of their own visits.
    "visit_sent": (
        "get",
        "territory",
        lambda t: {"client_id": "8e4ba3a4-1a51-4bd5-9d6f-3f5e0f0b7c11"},
        (OK, OK, OK, OK, OK, LOGIN),
    ),
    # Community officers and above follow coverage; grid workers do not.
    "visit_report": (
        "get",
        "territory",
        lambda t: {"code": t.grid.code},
        (DENIED, MISSING, OK, MISSING, OK, LOGIN),
    ),
    "visit_report_export": (
        "get",
        "territory",
        lambda t: {"code": t.grid.code},
        (DENIED, MISSING, OK, MISSING, OK, LOGIN),
    ),
    "area_places": ("get", "place", lambda p: {"code": p.grid.code}, VIEW),
}

# Visit plans: set by whoever supervises visits at the community (or, as a default, the
# street); none of the matrix's personas below the street does.
CASES["visit_plan"] = (
    "get",
    "territory",
    lambda t: {"code": t.community.code},
    (MISSING, MISSING, OK, MISSING, OK, LOGIN),
)
CASES["visit_plan_reset"] = (
    "post",
    "visit_plan_own",
    lambda p: {"code": p.area.code},
    (MISSING, MISSING, FOUND, MISSING, FOUND, LOGIN),
)
