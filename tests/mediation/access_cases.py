from tests.access import DENIED, EXPORT, FOUND, LOGIN, MISSING, OK, VIEW

# Those who mediate over the grid (its team, the community, the street) write; district staff
# read but do not mediate (403); another grid's or street's case is not found.
RECORD = (OK, MISSING, OK, MISSING, DENIED, LOGIN)
_grid = lambda case: {"code": case.grid.code}  # noqa: E731
_pk = lambda case: {"pk": case.pk}  # noqa: E731

CASES = {
    "mediation_cases": ("get", "mediation_case", _grid, VIEW),
    "mediation_new": ("get", "mediation_case", _grid, RECORD),
    "mediation_screening": ("get", "mediation_case", _grid, VIEW),
    "mediation_screening_export": ("get", "mediation_case", _grid, EXPORT),
    "mediation_case": ("get", "mediation_case", _pk, VIEW),
    "mediation_party": ("get", "mediation_case", _pk, RECORD),
    "mediation_step": ("get", "mediation_case", _pk, RECORD),
    # Posted empty: back to the case with the error (302) for those who may change it.
    "mediation_risk": (
        "post",
        "mediation_case",
        _pk,
        (FOUND, MISSING, FOUND, MISSING, DENIED, LOGIN),
    ),
    "mediation_close": ("get", "mediation_case", _pk, RECORD),
    "mediation_follow_up": ("get", "closed_mediation_case", _pk, RECORD),
    "mediation_signed_copy": ("get", "closed_mediation_case", _pk, VIEW),
}
