from tests.access import DENIED, FOUND, LOGIN, MISSING, OK, PUBLIC, VIEW

COMMUNITY_VIEW = (MISSING, MISSING, OK, MISSING, OK, LOGIN)
COMMUNITY_MANAGE = (MISSING, MISSING, OK, MISSING, DENIED, LOGIN)
BRANCH_MANAGE = (DENIED, MISSING, OK, MISSING, DENIED, LOGIN)
BRANCH_MANAGE_POST = (DENIED, MISSING, FOUND, MISSING, DENIED, LOGIN)
# Only community staff and grid leaders link households or verify registrations;
# none of the matrix personas holds those posts (they are tested in test_branches.py).
NOBODY_HERE = (DENIED, MISSING, DENIED, MISSING, DENIED, LOGIN)


def _c1(t):
    return {"code": t.community.code}


def _g1(t):
    return {"code": t.grid.code}


CASES = {
    "area_branches": ("get", "territory", _g1, VIEW),
    "area_links": ("get", "territory", _g1, VIEW),
    "branch_create": ("get", "territory", _c1, COMMUNITY_MANAGE),
    "member_create": ("get", "territory", _c1, COMMUNITY_MANAGE),
    "area_registrations": ("get", "territory", _c1, COMMUNITY_VIEW),
    "registration_create": ("get", "territory", _c1, COMMUNITY_MANAGE),
    "area_cobuilding": ("get", "territory", _c1, COMMUNITY_VIEW),
    "unit_create": ("get", "territory", _c1, COMMUNITY_MANAGE),
    "meeting_create": ("get", "territory", _c1, COMMUNITY_MANAGE),
    "branch_detail": ("get", "branch", lambda b: {"code": b.code}, VIEW),
    "branch_edit": ("get", "branch", lambda b: {"code": b.code}, BRANCH_MANAGE),
    "group_create": ("get", "branch", lambda b: {"code": b.code}, BRANCH_MANAGE),
    "member_detail": ("get", "member", lambda m: {"pk": m.pk}, VIEW),
    "member_edit": ("get", "member", lambda m: {"pk": m.pk}, BRANCH_MANAGE),
    "member_invite": ("post", "member", lambda m: {"pk": m.pk}, BRANCH_MANAGE_POST),
    "member_link": ("post", "member", lambda m: {"pk": m.pk}, NOBODY_HERE),
    "service_create": ("get", "member", lambda m: {"pk": m.pk}, NOBODY_HERE),
    "link_remove": ("post", "link", lambda link: {"pk": link.pk}, NOBODY_HERE),
    "registration_decide": (
        "post",
        "registration",
        lambda r: {"pk": r.pk},
        (MISSING, MISSING, DENIED, MISSING, DENIED, LOGIN),
    ),
    "unit_edit": ("get", "unit", lambda u: {"pk": u.pk}, COMMUNITY_MANAGE),
    "meeting_detail": ("get", "meeting", lambda m: {"pk": m.pk}, COMMUNITY_VIEW),
    "join": ("get", "territory", _c1, PUBLIC),
}
