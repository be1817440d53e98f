"""Dashboard figures, all read from ``AreaDay``: sums under an area's path, by child area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboards.models import (
    COMPLETION_HOURS,
    COUNTS,
    RESPONSE_HOURS,
    STANDING,
    AreaDay,
    AreaMix,
    AreaStanding,
)
from grids.models import Area
from tickets.models import Category, Channel

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


class Counted:
    """Counts read as attributes: ``figures.received``."""

    counts: dict[str, int]

    def __getattr__(self, name):
        try:
            return self.__dict__["counts"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Figures(Counted):
    counts: dict[str, int]

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

    @property
    def wishes_rate(self):
        return _share(self.counts["wishes_fulfilled"], self.counts["wishes"])

    @property
    def points_issued_members(self) -> int:
        return self.counts["points_issued"] - self.counts["points_issued_residents"]

    @property
    def points_redeemed_members(self) -> int:
        return self.counts["points_redeemed"] - self.counts["points_redeemed_residents"]

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


class Standing(Counted):
    """How an area stands now (``AreaStanding``), with its shares; zeros where none was
    computed (an area with no grids yet)."""

    def __init__(self, row: AreaStanding | None):
        self.counts = {key: getattr(row, key, 0) for key in STANDING}
        self.computed_at = row.computed_at if row else None

    @property
    def staffing_rate(self):
        return _share(self.grids_staffed, self.grids)

    @property
    def branch_rate(self):
        return _share(self.grids_with_branch, self.grids)

    @property
    def one_shoulder_rate(self):
        return _share(self.branches_one_shoulder, self.branches)

    @property
    def registered_rate(self):
        return _share(self.members_registered, self.members_in_service)

    @property
    def served_rate(self):
        return _share(self.members_served, self.members_registered)

    @property
    def linked_rate(self):
        return _share(self.households_linked, self.households)

    @property
    def station_rate(self):
        return _share(self.grids_with_station, self.grids)

    @property
    def standardised_rate(self):
        return _share(self.stations_standardised, self.stations)

    @property
    def circle_rate(self):
        return _share(self.households_in_circle, self.households_located)

    @property
    def visited_30_rate(self):
        return _share(self.visited_30, self.households)

    @property
    def visited_90_rate(self):
        return _share(self.visited_90, self.households)


def _standing_of(area: Area) -> Standing:
    try:
        return Standing(area.standing)
    except AreaStanding.DoesNotExist:
        return Standing(None)


def by_area(area_ids: list[int], period: Span, earlier: Span) -> dict[str, dict[int, dict]]:
    """{"current" | "earlier" | "standing": {area id: counts}} for the given areas: the
    period, the previous one, and the "now" figures summed over every day that still has
    open requests. One grouped query over the areas' own rows (a few per day)."""
    spans = {
        "current": (Q(day__range=(period.first, period.last)), COUNTS),
        "earlier": (Q(day__range=(earlier.first, earlier.last)), COUNTS),
        "standing": (Q(open_now__gt=0), NOW_FIGURES),
    }
    sums = {
        f"{name}__{key}": Sum(key, filter=when, default=0)
        for name, (when, keys) in spans.items()
        for key in keys
    }
    wanted = Q()
    for when, _keys in spans.values():
        wanted |= when
    grouped = (
        AreaDay.objects.filter(wanted, area_id__in=area_ids)
        .values("area_id")
        .annotate(**sums)
        .order_by()
    )
    result: dict[str, dict[int, dict]] = {name: {} for name in spans}
    for row in grouped:
        for name, (_when, keys) in spans.items():
            counts = _empty()
            counts.update({key: row[f"{name}__{key}"] or 0 for key in keys})
            result[name][row["area_id"]] = counts
    return result


def _less(whole: dict[str, int], parts: list[dict[str, int]]) -> dict[str, int]:
    return {key: whole[key] - sum(part[key] for part in parts) for key in COUNTS}


@dataclass
class Board:
    """Everything one dashboard page shows."""

    area: Area
    period: Span
    figures: Figures
    previous: Figures
    now: Figures
    standing: Standing
    # child (None: requests held at the area itself), period figures, now, standing
    children: list[tuple[Area | None, Figures, Figures, Standing | None]]
    ancestors: list[Area]

    @property
    def visits_per_worker(self):
        return visits_per_worker(self.figures, self.standing)


def visits_per_worker(figures: Figures, standing: Standing | None) -> Decimal | None:
    """Visits of the period ÷ grid workers in post now (None without workers or standing)."""
    if not standing or not standing.workers:
        return None
    return (Decimal(figures.visits) / standing.workers).quantize(Decimal("0.1"))


def board(area: Area, period: Span, *, boundaries: bool = False) -> Board:
    """The dashboard of ``area`` for ``period``: two queries whatever the size."""
    # The area, its children (each with its standing) and its ancestors: one query.
    above = [area.path[:n] for n in range(Area.steplen, len(area.path), Area.steplen)]
    areas = Area.objects.filter(
        Q(pk=area.pk) | Q(path__startswith=area.path, depth=area.depth + 1) | Q(path__in=above)
    ).select_related("standing")
    if not boundaries:
        areas = areas.defer("boundary")
    areas = sorted(areas, key=lambda a: a.path)
    itself = next((a for a in areas if a.pk == area.pk), area)
    ancestors = [a for a in areas if a.depth < area.depth]
    children = [a for a in areas if a.depth == area.depth + 1]
    groups = by_area([area.pk, *(child.pk for child in children)], period, period.previous())
    current, earlier, standing = groups["current"], groups["earlier"], groups["standing"]

    def of(group: dict, pk: int) -> dict[str, int]:
        return group.get(pk) or _empty()

    rows = [
        (
            child,
            Figures(of(current, child.pk)),
            Figures(of(standing, child.pk)),
            _standing_of(child),
        )
        for child in children
    ]
    # Requests held at this level itself (a community's triage queue, say): the area's total
    # less its children's.
    held = _less(of(current, area.pk), [of(current, c.pk) for c in children])
    held_now = _less(of(standing, area.pk), [of(standing, c.pk) for c in children])
    if any(held.values()) or any(held_now.values()):
        rows.append((None, Figures(held), Figures(held_now), None))
    return Board(
        area=area,
        period=period,
        figures=Figures(of(current, area.pk)),
        previous=Figures(of(earlier, area.pk)),
        now=Figures(of(standing, area.pk)),
        standing=_standing_of(itself),
        children=rows,
        ancestors=ancestors,
    )


@dataclass
class Share:
    label: str
    received: int
    resolved: int

    @property
    def completion_rate(self):
        return _share(self.resolved, self.received)


def mix(area: Area, period: Span) -> tuple[list[Share], list[Share]]:
    """The period's requests by channel and by category, largest first: one query."""
    rows = (
        AreaMix.objects.filter(area=area, day__range=(period.first, period.last))
        .values_list("channel", "category_id", "category__name_en", "category__name_zh")
        .annotate(received=Sum("received"), resolved=Sum("resolved"))
        .order_by()
    )
    channels: dict[str, list[int]] = {}
    categories: dict[int, list] = {}
    for channel, category, name_en, name_zh, received, resolved in rows:
        by_channel = channels.setdefault(channel, [0, 0])
        by_channel[0] += received
        by_channel[1] += resolved
        by_category = categories.setdefault(
            category, [Category(name_en=name_en, name_zh=name_zh).name, 0, 0]
        )
        by_category[1] += received
        by_category[2] += resolved
    labels = dict(Channel.choices)
    by_channel = [Share(str(labels.get(k, k)), *v) for k, v in channels.items()]
    by_category = [Share(*v) for v in categories.values()]
    order = lambda share: (-share.received, share.label)  # noqa: E731
    return sorted(by_channel, key=order), sorted(by_category, key=order)


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
    "wishes": gettext_lazy(
        "Micro-wishes (微心愿) posted in the period, and how many of them have been fulfilled."
    ),
    "visits": gettext_lazy("Household and place visits made in the period."),
    "visits_per_worker": gettext_lazy(
        "Visits in the period ÷ full-time and part-time grid workers in post now."
    ),
    "visited_30": gettext_lazy(
        "Households with a visit in the last 30 days ÷ all households (now, not the period)."
    ),
    "visited_90": gettext_lazy("Households with a visit in the last 90 days ÷ all households."),
    "visits_overdue": gettext_lazy(
        "Households past their next visit date; in brackets those with someone in care "
        "(elderly living alone, disabled, in hardship…)."
    ),
    "grids": gettext_lazy("Grids now: comprehensive / dedicated."),
    "staffing_rate": gettext_lazy(
        "Grids with 1+3+N in post: one full-time leader or worker, three part-time workers "
        "and at least one volunteer or liaison ÷ all grids."
    ),
    "vacancies": gettext_lazy("Posts missing for every grid to meet 1+3+N."),
    "branch_rate": gettext_lazy("Grids covered by a party branch ÷ all grids (一网格一支部)."),
    "one_shoulder_rate": gettext_lazy(
        "Branches whose secretary is also the leader of one of its grids (一肩挑) ÷ all branches."
    ),
    "registered_rate": gettext_lazy(
        "In-service party members confirmed as registered with a community (双报到) ÷ active "
        "in-service members."
    ),
    "served_rate": gettext_lazy(
        "Registered members who have served their community this year (the annual "
        "minimum) ÷ registered members."
    ),
    "linked_rate": gettext_lazy("Households linked to a party member (联户) ÷ all households."),
    "station_rate": gettext_lazy(
        "Grids with an open party-mass service centre or grid station ÷ all grids (一阵地)."
    ),
    "standardised_rate": gettext_lazy(
        "Open stations whose latest inspection passed all of 四有三规范 ÷ open stations."
    ),
    "circle_rate": gettext_lazy(
        "Located households within a 15-minute walk of a station ÷ located households."
    ),
    "activities": gettext_lazy("Station activities held in the period, and their attendance."),
    "points_issued": gettext_lazy(
        "Points credited in the period (earned), and points spent on rewards; below, those of "
        "party members' service schemes (积分奉献) and of residents' schemes (文明积分)."
    ),
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
        AreaDay.objects.filter(area=area, day__range=(period.first, period.last))
        .annotate(bucket=trunc("day"))
        .values("bucket")
        .annotate(**{key: Sum(key, default=0) for key in COUNTS})
        .order_by("bucket")
    )
    return [(row.pop("bucket"), Figures({k: row[k] or 0 for k in COUNTS})) for row in rows]


def points_panel(area: Area, period: Span, top: int = 5) -> dict:
    """The period's top members and residents of ``area`` (as the rankings page counts
    them) and the latest published red and black lists of the area: up to four queries."""
    from points.models import HonourPeriod, HonourRow, Scheme
    from points.periods import Period
    from points.selectors import Audience, leaderboard

    window = Period("dashboard", period.first, period.last, "custom")
    schemes = {scheme.audience: scheme for scheme in Scheme.objects.filter(active=True)}
    boards = {}
    for audience in (Audience.MEMBERS, Audience.RESIDENTS):
        scheme = schemes.get(audience)
        boards[audience] = (
            leaderboard(scheme=scheme, unit=area, period=window, audience=audience, limit=top)
            if scheme
            else []
        )
    honours = (
        HonourPeriod.objects.filter(area=area)
        .select_related("honour_list")
        .prefetch_related("rows")
        .order_by("-published_at")
        .first()
    )
    return {
        "members": boards[Audience.MEMBERS],
        "residents": boards[Audience.RESIDENTS],
        "honours": honours,
        "boards": [HonourRow.Board.RED, HonourRow.Board.BLACK],
    }
