"""What a league table may rank the areas below by: every per-area figure of the dashboard.

Each column reads one value from an area's period figures (``f``), its open requests now
(``n``) and its standing (``s``; None for the requests held at the area itself). Ranking is
largest first. The table shows the ``SHOWN`` columns, plus the chosen one when it is not
among them; the Excel export has them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dashboards.selectors import visits_per_worker

REQUESTS = _("Requests of the period")
NOW = _("Now")
VISITS = _("Visits")
STAFFING = _("Grids and staffing")
BRANCHES = _("Party branches and members")
STATIONS = _("Service stations")
POINTS = _("Points")


@dataclass(frozen=True)
class Column:
    label: Promise
    group: Promise
    value: Callable
    rate: bool = False


COLUMNS: dict[str, Column] = {
    "received": Column(_("Received"), REQUESTS, lambda f, n, s: f.received),
    "completion_rate": Column(
        _("Completion rate"), REQUESTS, lambda f, n, s: f.completion_rate, rate=True
    ),
    "on_time_rate": Column(_("On-time rate"), REQUESTS, lambda f, n, s: f.on_time_rate, rate=True),
    "satisfaction_rate": Column(
        _("Satisfaction"), REQUESTS, lambda f, n, s: f.satisfaction_rate, rate=True
    ),
    "escalated": Column(_("Escalated"), REQUESTS, lambda f, n, s: f.escalated),
    "wishes_fulfilled": Column(
        _("Micro-wishes fulfilled"), REQUESTS, lambda f, n, s: f.wishes_fulfilled
    ),
    "open_now": Column(_("Open now"), NOW, lambda f, n, s: n.open_now),
    "overdue_now": Column(_("Overdue now"), NOW, lambda f, n, s: n.overdue_now),
    "acknowledged_now": Column(
        _("Escalated and taken up"), NOW, lambda f, n, s: n.acknowledged_now
    ),
    "visits": Column(_("Visits"), VISITS, lambda f, n, s: f.visits),
    "visits_per_worker": Column(
        _("Visits per grid worker"), VISITS, lambda f, n, s: visits_per_worker(f, s)
    ),
    "visited_30_rate": Column(
        _("Visited in 30 days"), VISITS, lambda f, n, s: s and s.visited_30_rate, rate=True
    ),
    "visited_90_rate": Column(
        _("Visited in 90 days"), VISITS, lambda f, n, s: s and s.visited_90_rate, rate=True
    ),
    "visits_overdue": Column(
        _("Households overdue for a visit"), VISITS, lambda f, n, s: s and s.visits_overdue
    ),
    "care_overdue": Column(
        _("Of them, with someone in care"), VISITS, lambda f, n, s: s and s.care_overdue
    ),
    "grids": Column(_("Grids"), STAFFING, lambda f, n, s: s and s.grids),
    "staffing_rate": Column(_("1+3+N"), STAFFING, lambda f, n, s: s and s.staffing_rate, rate=True),
    "vacancies": Column(_("Vacant posts"), STAFFING, lambda f, n, s: s and s.vacancies),
    "branch_rate": Column(
        _("Branch coverage"), BRANCHES, lambda f, n, s: s and s.branch_rate, rate=True
    ),
    "one_shoulder_rate": Column(
        _("Secretary also grid leader (一肩挑)"),
        BRANCHES,
        lambda f, n, s: s and s.one_shoulder_rate,
        rate=True,
    ),
    "registered_rate": Column(
        _("Members registered (双报到)"),
        BRANCHES,
        lambda f, n, s: s and s.registered_rate,
        rate=True,
    ),
    "served_rate": Column(
        _("Meeting the annual minimum"), BRANCHES, lambda f, n, s: s and s.served_rate, rate=True
    ),
    "linked_rate": Column(
        _("Households linked to a member"), BRANCHES, lambda f, n, s: s and s.linked_rate, rate=True
    ),
    "station_rate": Column(
        _("Station coverage"), STATIONS, lambda f, n, s: s and s.station_rate, rate=True
    ),
    "standardised_rate": Column(
        _("Standardised (四有三规范)"),
        STATIONS,
        lambda f, n, s: s and s.standardised_rate,
        rate=True,
    ),
    "circle_rate": Column(
        _("15-minute circle"), STATIONS, lambda f, n, s: s and s.circle_rate, rate=True
    ),
    "activities": Column(_("Activities"), STATIONS, lambda f, n, s: f.activities),
    "attendance": Column(_("Attendance"), STATIONS, lambda f, n, s: f.attendance),
    "points_issued": Column(_("Points issued"), POINTS, lambda f, n, s: f.points_issued),
    "points_redeemed": Column(_("Points redeemed"), POINTS, lambda f, n, s: f.points_redeemed),
    "points_issued_members": Column(
        _("Points issued to party members"), POINTS, lambda f, n, s: f.points_issued_members
    ),
    "points_issued_residents": Column(
        _("Points issued to residents"), POINTS, lambda f, n, s: f.points_issued_residents
    ),
}

# The league table's columns when ranked by one of them: one or two per section, so it fits
# a command-centre screen; a phone scrolls it sideways.
SHOWN = [
    "received",
    "completion_rate",
    "on_time_rate",
    "satisfaction_rate",
    "overdue_now",
    "visits",
    "visited_30_rate",
    "staffing_rate",
    "branch_rate",
    "station_rate",
    "circle_rate",
    "points_issued",
]
DEFAULT = "received"


def shown(sort: str) -> list[str]:
    """The table's columns: ``SHOWN``, with the ranking column after the area if it is not
    among them."""
    return SHOWN if sort in SHOWN else [sort, *SHOWN]


def groups() -> list[tuple[Promise, list[tuple[str, Promise]]]]:
    """The columns by section, for the ranking menu."""
    found: dict[Promise, list[tuple[str, Promise]]] = {}
    for key, column in COLUMNS.items():
        found.setdefault(column.group, []).append((key, column.label))
    return list(found.items())


def value(key: str, figures, now, standing):
    """The column's value for one area: a number, or None where it does not apply or divides
    by zero."""
    return COLUMNS[key].value(figures, now, standing)


def number(key: str, figures, now, standing) -> float | None:
    found = value(key, figures, now, standing)
    return float(found) if found is not None else None


def cell(key: str, figures, now, standing) -> tuple[str, str, bool]:
    """(column, text, alarming) for one league-table cell."""
    found = value(key, figures, now, standing)
    if found is None:
        return key, "—", False
    text = f"{found}%" if COLUMNS[key].rate else str(found)
    alarming = key in ("overdue_now", "care_overdue") and found > 0
    return key, text, alarming
