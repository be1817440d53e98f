from tests.access import DENIED, FOUND, LOGIN, MISSING, OK, PUBLIC, VIEW

_street = lambda t: {"code": t.street.code}  # noqa: E731

CASES = {
    # An area's estates and companies: whoever sees the area (a grid, community, street…).
    "estates_area": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    # A company is seen by those who see an estate it serves (here G1's: not the neighbour).
    "estates_company": ("get", "company", lambda c: {"pk": c.pk}, VIEW),
    # Only community staff rate (no persona here is one: the street and the district see the
    # community and are refused; grid workers and another street do not find it).
    "estates_rate": (
        "get",
        "rating",
        lambda r: {"code": r.community.code, "pk": r.company_id, "period": r.period},
        (MISSING, MISSING, DENIED, MISSING, DENIED, LOGIN),
    ),
    # The street's list: its officers and the district; grid workers do not see the street.
    "estates_lists": ("get", "territory", _street, (MISSING, MISSING, OK, MISSING, OK, LOGIN)),
    # The street publishes its own (the matrix's post is refused politely: already published);
    # the district may publish a street's list too.
    "estates_publish": (
        "post",
        "property_list",
        lambda p: {"code": p.area.code, "period": p.period},
        (MISSING, MISSING, FOUND, MISSING, FOUND, LOGIN),
    ),
    # Residents read the published list without signing in.
    "estates_public": ("get", "territory", _street, PUBLIC),
}
