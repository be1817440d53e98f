"""Dashboard figures, all read from ``AreaDay``: sums under an area's path, by child area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Substr, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboards.models import COMPLETION_HOURS, COUNTS, RESPONSE_HOURS, AreaDay
from grids.models import Area

NOW_FIGURES = ("open_now", "overdue_now", "acknowledged_now")


# --- Periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    key: str
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Span:
        last = self.first - dt.timedelta(days=1)
        return Span("previous", last - dt.timedelta(days=self.days - 1), last)


SPANS = [
    ("month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("quarter", gettext_lazy("This quarter")),
    ("year", gettext_lazy("This year")),
]


def span(key: str | None, first: str | None = None, last: str | None = None, today=None) -> Span:
    """A named period up to today, or a custom one (``first``/``last`` as YYYY-MM-DD)."""
    today = today or timezone.localdate()
    if key == "custom":
        try:
            start, end = dt.date.fromisoformat(first or ""), dt.date.fromisoformat(last or "")
        except ValueError:
            start = end = None
        if start and end and start <= end and (end - start).days <= 3660:
            return Span("custom", start, end)
    if key == "last_month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return Span(key, end.replace(day=1), end)
    if key == "quarter":
        return Span(key, today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today)
    if key == "year":
        return Span(key, today.replace(month=1, day=1), today)
    return Span("month", today.replace(day=1), today)


# --- Figures --------------------------------------------------------------------------------


def _share(part: int, whole: int) -> Decimal | None:
    """A percentage to one decimal; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _quantile(counts: list[int], bounds: tuple[int, ...], q: float) -> int | None:
    """The bucket bound (hours) the q-quantile falls under; 0 means "more than the last"."""
    total = sum(counts)
    if not total:
        return None
    running = 0
    for n, count in enumerate(counts):
        running += count
        if running >= q * total:
            return bounds[n] if n < len(bounds) else 0
    return 0


@dataclass
class Figures:
    counts: dict[str, int]

    def __getattr__(self, name):
        try:
            return self.__dict__["counts"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def accepted(self) -> int:
        return self.counts["received"] - self.counts["rejected"]

    @property
    def completion_rate(self):
        return _share(self.counts["resolved"], self.accepted)

    @property
    def on_time_rate(self):
        return _share(self.counts["resolved_on_time"], self.counts["resolved"])

    @property
    def satisfaction_rate(self):
        return _share(self.counts["satisfied"], self.counts["rated"])

    def _buckets(self, prefix: str, n: int) -> list[int]:
        return [self.counts[f"{prefix}_{i}"] for i in range(1, n + 2)]

    @property
    def response_p50(self):
        return _quantile(self._buckets("response", len(RESPONSE_HOURS)), RESPONSE_HOURS, 0.5)

    @property
    def response_p90(self):
        return _quantile(self._buckets("response", len(RESPONSE_HOURS)), RESPONSE_HOURS, 0.9)

    @property
    def completion_p50(self):
        buckets = self._buckets("completion", len(COMPLETION_HOURS))
        return _quantile(buckets, COMPLETION_HOURS, 0.5)

    @property
    def completion_p90(self):
        buckets = self._buckets("completion", len(COMPLETION_HOURS))
        return _quantile(buckets, COMPLETION_HOURS, 0.9)


def _empty() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def by_child(area: Area, spans: dict[str, tuple[dt.date, dt.date] | None]) -> dict:
    """{span name: {child path (or the area's own path for rows held at its level): counts}}
    for several spans at once (None: all days): one grouped query."""
    child_length = len(area.path) + Area.steplen
    sums = {}
    for name, days in spans.items():
        when = Q(day__range=days) if days else Q()
        for key in COUNTS:
            sums[f"{name}__{key}"] = Sum(key, filter=when, default=0)
    grouped = (
        AreaDay.objects.filter(area__path__startswith=area.path)
        .annotate(child=Substr("area__path", 1, child_length))
        .values("child")
        .annotate(**sums)
        .order_by()
    )
    result: dict[str, dict[str, dict]] = {name: {} for name in spans}
    for row in grouped:
        child = row.pop("child")
        for name in spans:
            result[name][child] = {key: row[f"{name}__{key}"] or 0 for key in COUNTS}
    return result


def total(groups: dict[str, dict]) -> Figures:
    counts = _empty()
    for row in groups.values():
        for key in COUNTS:
            counts[key] += row[key]
    return Figures(counts)


@dataclass
class Board:
    """Everything one dashboard page shows."""

    area: Area
    period: Span
    figures: Figures
    previous: Figures
    now: Figures
    children: list[tuple[Area | None, Figures, Figures]]  # child, period figures, now


def board(area: Area, period: Span) -> Board:
    """The dashboard of ``area`` for ``period``: two queries whatever the size."""
    earlier = period.previous()
    groups = by_child(
        area,
        {
            "current": (period.first, period.last),
            "earlier": (earlier.first, earlier.last),
            "standing": None,
        },
    )
    current, earlier, standing = groups["current"], groups["earlier"], groups["standing"]
    children = list(Area.objects.filter(path__startswith=area.path, depth=area.depth + 1))

    def pair(path: str) -> tuple[Figures, Figures]:
        return Figures(current.get(path, _empty())), Figures(standing.get(path, _empty()))

    rows = [(child, *pair(child.path)) for child in children]
    if area.path in current or area.path in standing:
        # Requests held at this level itself (a community's triage queue, say).
        rows.append((None, *pair(area.path)))
    return Board(
        area=area,
        period=period,
        figures=total(current),
        previous=total(earlier),
        now=total(standing),
        children=rows,
    )


DEFINITIONS = {
    "received": gettext_lazy(
        "Requests submitted in the period, merged duplicates left out. The figures below "
        "follow these requests to what has become of them so far."
    ),
    "completion_rate": gettext_lazy(
        "办结率: resolved requests ÷ requests received and not rejected, of those submitted in "
        "the period."
    ),
    "on_time_rate": gettext_lazy(
        "Resolved by the completion deadline ÷ all resolved, of those submitted in the period."
    ),
    "satisfaction_rate": gettext_lazy(
        "Rated 4 or 5 stars ÷ all rated, of those submitted in the period."
    ),
    "response": gettext_lazy(
        "Time from submission to acceptance: the median and the 90th percentile, shown as the "
        "upper bound of their bucket (1, 4, 24, 72 hours)."
    ),
    "completion": gettext_lazy(
        "Time from submission to resolution: the median and the 90th percentile, shown as the "
        "upper bound of their bucket (1, 3, 7, 15 days)."
    ),
    "escalated": gettext_lazy("Requests of the period that went up the ladder (吹哨)."),
    "visits": gettext_lazy("Household and place visits made in the period."),
    "open_now": gettext_lazy(
        "Requests open now, whenever submitted (as of the last refresh, every 5 minutes)."
    ),
    "overdue_now": gettext_lazy("Open requests past their response or completion deadline."),
    "acknowledged_now": gettext_lazy(
        "Escalated open requests the higher level has taken up (报到)."
    ),
}


def hours_label(hours: int | None, bounds: tuple[int, ...]) -> str:
    if hours is None:
        return "—"
    if hours == 0:
        return _("over %(n)s h") % {"n": bounds[-1]}
    return _("≤ %(n)s h") % {"n": hours}


def trend(area: Area, period: Span) -> list[tuple[dt.date, Figures]]:
    """The period's figures by week (periods up to a quarter) or by month: one query."""
    trunc = TruncWeek if period.days <= 92 else TruncMonth
    rows = (
        AreaDay.objects.filter(
            area__path__startswith=area.path, day__range=(period.first, period.last)
        )
        .annotate(bucket=trunc("day"))
        .values("bucket")
        .annotate(**{key: Sum(key, default=0) for key in COUNTS})
        .order_by("bucket")
    )
    return [(row.pop("bucket"), Figures({k: row[k] or 0 for k in COUNTS})) for row in rows]
