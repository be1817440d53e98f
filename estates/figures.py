"""红色物业's figures for the district's dashboards (core/figures.py): a fixed number of
grouped queries, whatever the number of areas."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from core.figures import Definition, Figures, Unit, period_bounds, share, sum_under
from estates.models import Estate, ListRow, PartyOrg, PublishedList, Rating, period_of
from tickets.models import Ticket

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "companies",
        _("Property companies"),
        _("Property companies serving at least one estate of the area today (each counted once)."),
    ),
    Definition(
        "estates", _("Estates (小区)"), _("Estates recorded in the area's communities today.")
    ),
    Definition(
        "estates_with_company_share",
        _("Estates with a property company"),
        _("Estates of the area served by a property company today, out of all its estates."),
        Unit.SHARE,
    ),
    Definition(
        "companies_with_party_org_share",
        _("Companies with a party organisation"),
        _(
            "Property companies serving the area that have an independent or joint party "
            "branch, out of all of them (today)."
        ),
        Unit.SHARE,
    ),
    Definition(
        "ratings_submitted",
        _("Star ratings submitted"),
        _(
            "Ratings (星级化考核) the area's communities submitted for the half-years that "
            "overlap the period."
        ),
    ),
    Definition(
        "average_score",
        _("Average rating score"),
        _("Average total (out of 100) of those submitted ratings."),
        Unit.AVERAGE,
    ),
    Definition(
        "red_list",
        _("On the red list"),
        _(
            "Companies on the red list (four stars or more) of the latest half-year published "
            "on or before the period's end, rated by one of the area's communities."
        ),
    ),
    Definition(
        "black_list",
        _("On the black list"),
        _(
            "Companies on the black list (two stars or fewer) of the latest half-year "
            "published on or before the period's end, rated by one of the area's communities."
        ),
    ),
    Definition(
        "property_requests",
        _("Requests routed to property companies"),
        _("Requests submitted in the period in the area and taken by a property company."),
    ),
    Definition(
        "property_satisfaction",
        _("Residents' satisfaction with property companies"),
        _("Residents' average rating (1–5) of those requests, among those they rated."),
        Unit.AVERAGE,
    ),
)


def _periods(first: dt.date, last: dt.date) -> list[str]:
    periods, day = [], first
    while day <= last:
        periods.append(period_of(day))
        day = dt.date(day.year + (day.month > 6), 7 if day.month <= 6 else 1, 1)
    return periods


def _distinct_under(areas, rows) -> dict[int, set]:
    """(path, key) rows → per area, the set of keys at or under it."""
    found: dict[int, set] = {area.pk: set() for area in areas}
    for area in areas:
        for path, key in rows:
            if path and path.startswith(area.path):
                found[area.pk].add(key)
    return found


def figures(areas, first: dt.date, last: dt.date) -> Figures:
    areas = list(areas)
    # 1: estates per community, with and without a company, and their companies.
    estate_rows = list(
        Estate.objects.values_list("community__path", "company_id", "company__party_org")
    )
    counts = [(path, "estates", 1) for path, _c, _p in estate_rows]
    counts += [(path, "estates_with_company", 1) for path, company, _p in estate_rows if company]
    # 2: submitted ratings of the half-years overlapping the period.
    ratings = (
        Rating.objects.filter(state=Rating.State.SUBMITTED, period__in=_periods(first, last))
        .values("community__path")
        .annotate(n=Count("pk"), points=Sum("total"))
    )
    for row in ratings:
        counts.append((row["community__path"], "ratings_submitted", row["n"]))
        counts.append((row["community__path"], "_points", row["points"]))
    # 3–4: the latest published half-year's boards.
    latest = (
        PublishedList.objects.filter(published_at__date__lte=last)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    board_rows = []
    if latest:
        board_rows = list(
            ListRow.objects.filter(published__period=latest).values_list(
                "community__path", "board", "company_id"
            )
        )
    # 5: requests taken by property companies.
    start, end = period_bounds(first, last)
    requests = (
        Ticket.objects.filter(
            department__property_company__isnull=False,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .values("area__path")
        .annotate(n=Count("pk"), rated=Count("rating"), stars=Sum("rating"))
    )
    for row in requests:
        counts.append((row["area__path"], "property_requests", row["n"]))
        counts.append((row["area__path"], "_rated", row["rated"]))
        counts.append((row["area__path"], "_stars", row["stars"]))
    result = sum_under(areas, counts)
    companies = _distinct_under(areas, [(p, c) for p, c, _o in estate_rows if c])
    with_party = _distinct_under(
        areas, [(p, c) for p, c, org in estate_rows if c and org != PartyOrg.NONE]
    )
    red = _distinct_under(areas, [(p, c) for p, b, c in board_rows if b == ListRow.Board.RED])
    black = _distinct_under(areas, [(p, c) for p, b, c in board_rows if b == ListRow.Board.BLACK])
    for area in areas:
        bucket = result[area.pk]
        n_companies = len(companies[area.pk])
        ratings_n = bucket.get("ratings_submitted") or 0
        rated = bucket.pop("_rated", 0) or 0
        points, stars = bucket.pop("_points", 0), bucket.pop("_stars", 0)
        result[area.pk] = {
            "companies": n_companies,
            "estates": bucket.get("estates") or 0,
            "estates_with_company_share": share(
                bucket.get("estates_with_company"), bucket.get("estates")
            ),
            "companies_with_party_org_share": share(len(with_party[area.pk]), n_companies),
            "ratings_submitted": ratings_n,
            "average_score": round(float(points) / ratings_n, 1) if ratings_n else None,
            "red_list": len(red[area.pk]),
            "black_list": len(black[area.pk]),
            "property_requests": bucket.get("property_requests") or 0,
            "property_satisfaction": round(float(stars) / rated, 2) if rated else None,
        }
    return result
