from tests.access import EDIT, END_POST, EXPORT, FOUND, LOGIN, MANAGE, MISSING, OK, VIEW

# Pages of people and their accounts: a 404 to anyone who does not manage posts there.
PEOPLE = (MISSING, MISSING, OK, MISSING, OK, LOGIN)
PEOPLE_WRITE = (MISSING, MISSING, FOUND, MISSING, FOUND, LOGIN)


def _person(post):
    return {"code": post.area.code, "pk": post.user.pk}


def _leave(leave):
    return {"code": leave.user.posts.get().area.code, "pk": leave.pk}


# Pages that are not about one scoped object.
NOT_SCOPED = {
    "healthz",  # public, no personal data (tests/core/test_health.py)
    "readyz",  # public readiness for load balancers, no personal data (tests/core/test_readyz.py)
    # Counts only, by view name; the scraper's addresses or its token, else 404
    # (tests/core/test_metrics.py).
    "metrics",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "profile",
    "set_language",
    "home",  # redirects to the role's landing page (tests/grids/test_pages.py)
    "my_area",  # redirects to the user's own area (tests/grids/test_pages.py)
    "large_text",  # a display cookie, no data (tests/tickets/test_large_text.py)
}

# Export approvals: the page for whoever exports somewhere; a request is decided one level up.
EXPORTERS = (MISSING, MISSING, OK, OK, OK, LOGIN)
DECIDE = (MISSING, MISSING, FOUND, MISSING, FOUND, LOGIN)

# name: (method, target fixture, kwargs from the target, expected per persona)
CASES = {
    "area_detail": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "household_list": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "resident_list": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "household_create": ("get", "territory", lambda t: {"code": t.grid.code}, EDIT),
    "household_export": ("get", "territory", lambda t: {"code": t.grid.code}, EXPORT),
    "area_staffing": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "area_coverage": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "post_create": ("get", "territory", lambda t: {"code": t.grid.code}, MANAGE),
    "post_give": ("get", "territory", lambda t: {"code": t.grid.code}, PEOPLE),
    "area_cover": ("get", "territory", lambda t: {"code": t.grid.code}, PEOPLE),
    "leave_edit": ("get", "leave_in_grid", _leave, PEOPLE),
    "leave_end": ("post", "leave_in_grid", _leave, PEOPLE_WRITE),
    "area_people": ("get", "territory", lambda t: {"code": t.grid.code}, PEOPLE),
    "person_detail": ("get", "post_in_grid", _person, PEOPLE),
    "person_reset_password": ("post", "post_in_grid", _person, PEOPLE),
    "person_set_active": ("post", "post_in_grid", _person, PEOPLE_WRITE),
    "person_invite": ("post", "post_in_grid", _person, PEOPLE_WRITE),
    "post_end": ("post", "post_in_grid", lambda p: {"pk": p.pk}, END_POST),
    "household_detail": ("get", "household", lambda h: {"pk": h.pk}, VIEW),
    "household_edit": ("get", "household", lambda h: {"pk": h.pk}, EDIT),
    "resident_create": ("get", "household", lambda h: {"pk": h.pk}, EDIT),
    "resident_edit": ("get", "resident", lambda r: {"pk": r.pk}, EDIT),
    "resident_reveal": ("post", "resident", lambda r: {"pk": r.pk, "field": "phone"}, EDIT),
    "export_approvals": ("get", "territory", lambda t: {}, EXPORTERS),
    "export_decide": ("post", "export_request", lambda a: {"pk": a.pk}, DECIDE),
    # The printout of what is held about a resident: those who may see their full details.
    "resident_subject_access": ("get", "resident", lambda r: {"pk": r.pk}, EDIT),
    # The retention periods are the district's; to anyone else the page does not exist.
    "retention_settings": (
        "get",
        "territory",
        lambda t: {},
        (MISSING, MISSING, MISSING, MISSING, OK, LOGIN),
    ),
}
