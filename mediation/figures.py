"""Mediation's figures for the district's dashboards (core/figures.py): one grouped query."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from core.figures import Definition, Figures, Unit, period_bounds, share, sum_under
from mediation.models import REFERRALS, Case, DisputeType, Outcome, Risk, Status

_OVER = _("Over the cases opened in the period, in the area's grids.")

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "cases_opened",
        _("Disputes recorded"),
        _("Mediation cases opened in the period, in the area's grids."),
    ),
    Definition(
        "cases_closed",
        _("Disputes closed"),
        _("Of the cases opened in the period, those closed since (with any outcome)."),
    ),
    Definition(
        "resolved_share",
        _("Resolved by agreement"),
        _(
            "Of the cases opened in the period and closed, the share closed with an agreement "
            "(调解成功)."
        ),
        Unit.SHARE,
    ),
    Definition(
        "referred_share",
        _("Referred to the court or police"),
        _(
            "Of the cases opened in the period and closed, the share referred to a court or "
            "the police."
        ),
        Unit.SHARE,
    ),
    Definition(
        "high_risk_open",
        _("High-risk disputes still open"),
        _("Of the cases opened in the period, the high-risk ones not closed yet."),
    ),
    *(Definition(f"type_{value}", label, _OVER) for value, label in DisputeType.choices),
)


def figures(areas, first: dt.date, last: dt.date) -> Figures:
    areas = list(areas)
    if not areas:
        return {}
    start, end = period_bounds(first, last)
    under = reduce(or_, (Q(grid__path__startswith=area.path) for area in areas))
    rows = (
        Case.objects.filter(under, opened_at__gte=start, opened_at__lt=end)
        .values_list("grid__path", "status", "outcome", "risk", "type")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = []
    for path, status, outcome, risk, type_, n in rows:
        counts.append((path, "cases_opened", n))
        counts.append((path, f"type_{type_}", n))
        if status == Status.CLOSED:
            counts.append((path, "cases_closed", n))
            if outcome == Outcome.AGREEMENT:
                counts.append((path, "_agreements", n))
            elif outcome in REFERRALS:
                counts.append((path, "_referrals", n))
        elif risk == Risk.HIGH:
            counts.append((path, "high_risk_open", n))
    summed = sum_under(areas, counts)
    result: Figures = {}
    for area in areas:
        got = summed[area.pk]
        values = {d.key: got.get(d.key, 0) for d in DEFINITIONS if d.unit == Unit.COUNT}
        values["resolved_share"] = share(got.get("_agreements"), got.get("cases_closed"))
        values["referred_share"] = share(got.get("_referrals"), got.get("cases_closed"))
        result[area.pk] = values
    return result
