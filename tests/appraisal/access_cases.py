from tests.access import DENIED, FOUND, LOGIN, MANAGE, MISSING, OK, VIEW

NOT_SCOPED = {
    # Each user's own cards only (tests/appraisal/test_pages.py proves it).
    "appraisal_me",
}

_SIGNED_IN = (OK, OK, OK, OK, OK, LOGIN)
_month = lambda card: {"year": card.month.year, "month": card.month.month}  # noqa: E731
_street = lambda card: {"code": card.grid.get_ancestors().get(level="street").code}  # noqa: E731

CASES = {
    # The district's scheme: nobody below the district has anything here.
    "appraisal_scheme": (
        "get",
        "territory",
        lambda t: {},
        (MISSING, MISSING, MISSING, MISSING, OK, LOGIN),
    ),
    "appraisal_me": ("get", "scorecard", lambda card: {}, _SIGNED_IN),
    # Only the own worker has a card that month; for anyone else it does not exist.
    "appraisal_me_month": (
        "get",
        "scorecard",
        _month,
        (OK, MISSING, MISSING, MISSING, MISSING, LOGIN),
    ),
    "appraisal_card": ("get", "scorecard", lambda card: {"pk": card.pk}, VIEW),
    # Street and community officers over the card's area score it; the worker and district
    # staff may not (the matrix posts nothing: 302 back to the card with the errors).
    "appraisal_card_score": (
        "post",
        "scorecard",
        lambda card: {"pk": card.pk},
        (DENIED, MISSING, FOUND, MISSING, DENIED, LOGIN),
    ),
    # Those who score the workers hold the talk (末位约谈) on a published card: not the worker,
    # not district staff (403, and no link leads there); another area's card is not found.
    "appraisal_card_talk": (
        "get",
        "published_scorecard",
        lambda card: {"pk": card.pk},
        (DENIED, MISSING, OK, MISSING, DENIED, LOGIN),
    ),
    # The rankings are officers' pages over a street or community.
    "appraisal_ranking": (
        "get",
        "scorecard",
        _street,
        (MISSING, MISSING, OK, MISSING, OK, LOGIN),
    ),
    "appraisal_ranking_month": (
        "get",
        "scorecard",
        lambda card: {**_street(card), **_month(card)},
        (MISSING, MISSING, OK, MISSING, OK, LOGIN),
    ),
    "appraisal_export": (
        "get",
        "scorecard",
        lambda card: {**_street(card), **_month(card)},
        (MISSING, MISSING, OK, MISSING, OK, LOGIN),
    ),
    # Only the street publishes its month.
    "appraisal_publish": (
        "post",
        "scorecard",
        lambda card: {**_street(card), **_month(card)},
        (MISSING, MISSING, FOUND, MISSING, DENIED, LOGIN),
    ),
}
# The street decides its workers' promotions (三岗十八级); the district sees the street but
# does not decide (no link to the page is shown to it).
CASES["appraisal_promotions"] = (
    "get",
    "promotion",
    lambda p: {"code": p.grid.get_ancestors().get(level="street").code},
    (MISSING, MISSING, OK, MISSING, DENIED, LOGIN),
)
# The matrix posts nothing: 302 back to the page with "a decision needs a reason".
CASES["appraisal_promotion_decide"] = (
    "post",
    "promotion",
    lambda p: {"pk": p.pk},
    (DENIED, MISSING, FOUND, MISSING, DENIED, LOGIN),
)
# District and street staff over the worker's grid set a grade by hand from the card; the worker
# reads the card but is refused (no link shows); another area's card is not found.
CASES["appraisal_card_grade"] = ("get", "scorecard", lambda card: {"pk": card.pk}, MANAGE)
