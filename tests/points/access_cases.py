from tests.access import DENIED, FOUND, LOGIN, MISSING, OK, VIEW

SIGNED_IN = (OK, OK, OK, OK, OK, LOGIN)
COMMUNITY_VIEW = (MISSING, MISSING, OK, MISSING, OK, LOGIN)
# Only community staff verify (社区核实) or record residents' conduct; no persona here is one.
COMMUNITY_ONLY = (MISSING, MISSING, DENIED, MISSING, DENIED, LOGIN)
# Items live at the community: a grid worker does not see the community's points.
ITEM_VIEW = (MISSING, MISSING, OK, MISSING, OK, LOGIN)
NOBODY = (MISSING, MISSING, MISSING, MISSING, MISSING, LOGIN)
# The convener is the secretary, or whoever sets up the community's branches (the street).
CONVENER = (DENIED, MISSING, OK, MISSING, DENIED, LOGIN)
CONVENER_POST = (DENIED, MISSING, FOUND, MISSING, DENIED, LOGIN)
ITEM_CONVENER_POST = (MISSING, MISSING, FOUND, MISSING, DENIED, LOGIN)


def _c1(t):
    return {"code": t.community.code}


def _g1(t):
    return {"code": t.grid.code}


def _pk(obj):
    return {"pk": obj.pk}


CASES = {
    "my_points": ("get", "territory", lambda t: {}, SIGNED_IN),
    # Only a party member declares; no persona is one.
    "points_declare": ("get", "territory", lambda t: {}, (DENIED,) * 5 + (LOGIN,)),
    "points_item": ("get", "declaration", _pk, ITEM_VIEW),
    "points_redeclare": ("get", "declaration", _pk, NOBODY),
    "points_return": ("post", "collected", _pk, ITEM_CONVENER_POST),
    "points_verify_item": ("post", "collected", _pk, COMMUNITY_ONLY),
    "points_object": ("get", "declaration", _pk, ITEM_VIEW),
    "points_photo": ("get", "declaration_photo", _pk, ITEM_VIEW),
    "points_collect": ("get", "branch", lambda b: {"code": b.code}, CONVENER),
    "points_submit_batch": ("post", "collected", lambda d: {"pk": d.batch_id}, CONVENER_POST),
    "points_verify": ("get", "territory", _c1, COMMUNITY_ONLY),
    "points_publicity": ("get", "territory", _c1, COMMUNITY_VIEW),
    "points_rankings": ("get", "territory", _g1, VIEW),
    "points_minimum": ("get", "territory", _g1, VIEW),
    "points_honours": ("get", "territory", _c1, COMMUNITY_VIEW),
    "points_export": ("get", "territory", _c1, COMMUNITY_VIEW),
    "points_rewards": ("get", "territory", _c1, COMMUNITY_VIEW),
    "points_record": ("get", "territory", _c1, COMMUNITY_ONLY),
}

# Setting the points up (issue 20). Rewards are the community's: the matrix has no community
# officer, so above it they are refused and elsewhere not found (tests/points/test_setup.py
# has the community's own officer).
DISTRICT_ONLY = (DENIED, DENIED, DENIED, DENIED, OK, LOGIN)
STREET_SETUP = (MISSING, MISSING, OK, MISSING, OK, LOGIN)
CASES.update(
    {
        "points_reward_catalogue": ("get", "territory", _c1, COMMUNITY_ONLY),
        "points_reward": ("get", "reward", _pk, COMMUNITY_ONLY),
        "points_reward_stock": ("post", "reward", _pk, COMMUNITY_ONLY),
        # The district's page: nobody below the district sees the district itself.
        "points_schemes": (
            "get",
            "territory",
            lambda t: {"code": t.district.code},
            (MISSING, MISSING, MISSING, MISSING, OK, LOGIN),
        ),
        "points_scheme": ("get", "service_scheme", _pk, DISTRICT_ONLY),
        "points_rule_new": ("get", "service_scheme", _pk, DISTRICT_ONLY),
        "points_rule_revise": ("get", "hour_rule", _pk, DISTRICT_ONLY),
        "points_honour_lists": (
            "get",
            "territory",
            lambda t: {"code": t.street.code},
            STREET_SETUP,
        ),
        "points_honour_list": ("get", "street_honour_list", _pk, STREET_SETUP),
    }
)
