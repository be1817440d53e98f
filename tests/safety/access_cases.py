from tests.access import DENIED, EDIT, FOUND, LOGIN, MISSING, OK, VIEW

NOT_SCOPED = {
    # Each user's own grids' places (empty for those who patrol nowhere).
    "safety_mine",
}

_code = lambda place: {"code": place.grid.code}  # noqa: E731

CASES = {
    "safety_mine": ("get", "place", lambda p: {}, (OK, OK, OK, OK, OK, LOGIN)),
    # The grid's team patrols; the officers above read, they do not walk the checklist.
    "safety_patrol": ("get", "place", lambda p: {"pk": p.pk}, EDIT),
    "safety_patrol_detail": ("get", "safety_patrol", lambda p: {"pk": p.pk}, VIEW),
    "safety_photo": ("get", "safety_photo", lambda p: {"pk": p.pk}, VIEW),
    "safety_hazard": ("get", "safety_hazard", lambda h: {"pk": h.pk}, VIEW),
    # The grid's team and the street (MANAGE_HAZARDS) act on it; the district reads only.
    # The matrix posts nothing: back to the hazard with the form's errors.
    "safety_hazard_fixed": (
        "post",
        "safety_hazard",
        lambda h: {"pk": h.pk},
        (FOUND, MISSING, FOUND, MISSING, DENIED, LOGIN),
    ),
    "safety_hazard_recheck": (
        "post",
        "safety_hazard",
        lambda h: {"pk": h.pk},
        (FOUND, MISSING, FOUND, MISSING, DENIED, LOGIN),
    ),
    "safety_places": ("get", "place", _code, VIEW),
    "safety_hazards": ("get", "place", _code, VIEW),
}
