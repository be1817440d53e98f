"""The monthly league table of departments (吹哨报到 scored): how the departments a street (or
community, or the district) summoned answered in one month.

Read live from the co-handling records (``tickets.Summons``) and the joint actions, in the
area's requests (its path and below), in three queries whatever the number of departments: one
grouped query for the summonses' figures, one for the joint actions attended, one for the
departments' names. Withdrawn summonses (the street stopped waiting for the part) count
nowhere, except a department's missed 报到: one the sweep escalated keeps counting as
summoned and not acknowledged on time.

Figures of a department in month M:

- **summoned**: its summonses summoned in M;
- **acknowledged on time**: of those, the ones acknowledged (报到) by their limit
  (``acknowledged_at <= acknowledge_due``); the share is taken over those already settled —
  acknowledged, or whose limit has passed — so a summons of yesterday still within its limit
  neither helps nor hurts;
- **parts on time**: its parts due in M (``completion_due`` in M), counted once reported or
  once the due time has passed; on time when ``reported_at <= completion_due``. A part belongs
  to the month it is due in, so a late part counts once, not in two months;
- **satisfaction**: the residents' ratings (1–5) of the requests it was summoned on in M: the
  average and how many were rated (a rating arrives after the request closes, so last month's
  figure still grows);
- **joint actions**: the joint actions held in M in the area or below that it attended.

Ranking (``COMPOSITE``): the share acknowledged on time, then the share of parts on time, then
the average satisfaction, each higher first with a department without the figure after those
with it; then more summonses first; then the department's code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Area
from tickets.models import Department, JointAction, Summons, SummonsState


@dataclass(frozen=True)
class Month:
    first: dt.date

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def next(self) -> Month:
        return Month((self.first + dt.timedelta(days=32)).replace(day=1))

    @property
    def previous(self) -> Month:
        return Month((self.first - dt.timedelta(days=1)).replace(day=1))

    @property
    def last(self) -> dt.date:
        return self.next.first - dt.timedelta(days=1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Its first moment and the next month's, in the district's time zone."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.first, dt.time.min)
        end = dt.datetime.combine(self.next.first, dt.time.min)
        return timezone.make_aware(start, zone), timezone.make_aware(end, zone)


def month(key: str | None, today: dt.date | None = None) -> Month:
    """``YYYY-MM``, or this month when missing or not a month."""
    today = today or timezone.localdate()
    try:
        year, number = (int(part) for part in (key or "").split("-"))
        return Month(dt.date(year, number, 1))
    except ValueError:
        return Month(today.replace(day=1))


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Row:
    department: Department
    summoned: int = 0
    acknowledge_settled: int = 0
    acknowledged_on_time: int = 0
    parts_settled: int = 0
    parts_on_time: int = 0
    rated: int = 0
    rating: Decimal | None = None
    joint_actions: int = 0

    @property
    def acknowledged_share(self) -> Decimal | None:
        return _share(self.acknowledged_on_time, self.acknowledge_settled)

    @property
    def parts_share(self) -> Decimal | None:
        return _share(self.parts_on_time, self.parts_settled)


def _desc(value) -> tuple:
    """Higher first, a missing figure after every present one."""
    return (value is None, -(value or 0))


COMPOSITE = "rank"
# Sortable columns: the composite, or one figure (higher first, missing last).
SORTS = {
    COMPOSITE: lambda row: (
        _desc(row.acknowledged_share),
        _desc(row.parts_share),
        _desc(row.rating),
        -row.summoned,
        row.department.code,
    ),
    "summoned": lambda row: (-row.summoned, row.department.code),
    "acknowledged": lambda row: (*_desc(row.acknowledged_share), row.department.code),
    "parts": lambda row: (*_desc(row.parts_share), row.department.code),
    "satisfaction": lambda row: (*_desc(row.rating), -row.rated, row.department.code),
    "joint_actions": lambda row: (-row.joint_actions, row.department.code),
}
COLUMNS = [
    ("summoned", _("Summoned")),
    ("acknowledged", _("Acknowledged on time")),
    ("parts", _("Parts on time")),
    ("satisfaction", _("Satisfaction")),
    ("joint_actions", _("Joint actions")),
]


def league(area: Area, period: Month, *, sort: str = COMPOSITE, now=None) -> list[Row]:
    """One row per department with a figure in ``period`` under ``area``, sorted by ``sort``
    (the composite ranking unless it names a column). Three queries."""
    now = now or timezone.now()
    start, end = period.bounds()
    # A withdrawn summons (the street stopped waiting for its part) counts nowhere, unless
    # the department had missed its 报到 first (the sweep escalated it): that miss stays.
    withdrawn = Q(state=SummonsState.WITHDRAWN)
    kept = ~withdrawn
    summoned_in = Q(summoned_at__gte=start, summoned_at__lt=end)
    due_in = Q(completion_due__gte=start, completion_due__lt=end) & kept
    figures = (
        Summons.objects.filter(ticket__area__path__startswith=area.path)
        .filter(kept | Q(escalated_at__isnull=False))
        .filter(summoned_in | due_in)
        .values("department_id")
        .annotate(
            summoned=Count("pk", filter=summoned_in),
            acknowledge_settled=Count(
                "pk",
                filter=summoned_in
                & (
                    Q(acknowledged_at__isnull=False)
                    | Q(acknowledge_due__lte=now)
                    | Q(escalated_at__isnull=False)  # the sweep found its limit passed
                ),
            ),
            acknowledged_on_time=Count(
                "pk", filter=summoned_in & Q(acknowledged_at__lte=F("acknowledge_due"))
            ),
            parts_settled=Count(
                "pk",
                filter=due_in & (Q(reported_at__isnull=False) | Q(completion_due__lte=now)),
            ),
            parts_on_time=Count("pk", filter=due_in & Q(reported_at__lte=F("completion_due"))),
            rated=Count("pk", filter=summoned_in & kept & Q(ticket__rating__isnull=False)),
            rating=Avg("ticket__rating", filter=summoned_in & kept),
        )
        .order_by()
    )
    counts: dict[int, dict] = {row.pop("department_id"): row for row in figures}
    attended = (
        JointAction.departments.through.objects.filter(
            jointaction__area__path__startswith=area.path,
            jointaction__date__gte=period.first,
            jointaction__date__lte=period.last,
        )
        .values("department_id")
        .annotate(n=Count("jointaction_id", distinct=True))
        .order_by()
    )
    joint = {row["department_id"]: row["n"] for row in attended}
    departments = Department.objects.in_bulk({*counts, *joint})
    rows = []
    for pk, department in departments.items():
        row = Row(department, joint_actions=joint.get(pk, 0), **counts.get(pk, {}))
        if row.rating is not None:
            row.rating = Decimal(str(row.rating)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        rows.append(row)
    rows.sort(key=SORTS.get(sort, SORTS[COMPOSITE]))
    return rows
