"""Reads that pages and reports share: staffing, counts per child area, coverage.

Each runs a fixed number of queries whatever the size of the subtree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Prefetch, Sum
from django.db.models.functions import Substr

from grids import geo
from grids.models import Area, GridTally, Household, Post, Resident, ancestor_paths
from grids.roles import GRID_DEPTH, Role

STEP = Area.steplen
GRID_PATH_LENGTH = GRID_DEPTH * STEP

# "1+3+N": one full-time leader or worker, three part-time workers, N volunteers or liaisons.
# The standard leaves N open; at least one helper is what the dashboards count as meeting it.
STAFFING_FULL_TIME = 1
STAFFING_PART_TIME = 3
STAFFING_N = 1

_FULL_TIME = {Role.GRID_LEADER, Role.GRID_WORKER}
_N = {Role.VOLUNTEER, Role.LIAISON}


@dataclass
class GridStaffing:
    grid: Area
    full_time: int = 0
    part_time: int = 0
    helpers: int = 0

    @property
    def compliant(self) -> bool:
        return (
            self.full_time >= STAFFING_FULL_TIME
            and self.part_time >= STAFFING_PART_TIME
            and self.helpers >= STAFFING_N
        )

    @property
    def shortfall(self) -> dict[str, int]:
        return {
            "full_time": max(0, STAFFING_FULL_TIME - self.full_time),
            "part_time": max(0, STAFFING_PART_TIME - self.part_time),
            "helpers": max(0, STAFFING_N - self.helpers),
        }


def staffing(area: Area) -> list[GridStaffing]:
    """1+3+N staffing of every grid under ``area`` (two queries)."""
    grids = {g.path: GridStaffing(g) for g in Area.objects.under(area).grids()}
    if not grids:
        return []
    rows = (
        Post.objects.active()
        .filter(
            area__path__startswith=area.path,
            area__depth__gte=GRID_DEPTH,
            role__in=[*_FULL_TIME, Role.PART_TIME_WORKER, *_N],
        )
        .annotate(grid_path=Substr("area__path", 1, GRID_PATH_LENGTH))
        .values("grid_path", "role")
        .annotate(n=Count("user", distinct=True))
    )
    for row in rows:
        entry = grids.get(row["grid_path"])
        if entry is None:
            continue
        if row["role"] in _FULL_TIME:
            entry.full_time += row["n"]
        elif row["role"] == Role.PART_TIME_WORKER:
            entry.part_time += row["n"]
        else:
            entry.helpers += row["n"]
    return list(grids.values())


@dataclass
class ChildStats:
    area: Area
    grids: int = 0
    households: int = 0
    residents: int = 0
    compliant_grids: int = 0

    @property
    def staffing_share(self) -> float | None:
        return self.compliant_grids / self.grids if self.grids else None

    @property
    def staffing_class(self) -> str:
        """The map colour: share of grids meeting 1+3+N in four steps."""
        share = self.staffing_share
        if share is None:
            return "none"
        if share >= 1:
            return "ok"
        if share >= 0.8:
            return "high"
        return "partial" if share >= 0.5 else "low"


@dataclass
class AreaOverview:
    area: Area
    children: list[ChildStats]
    total: ChildStats
    by_kind: dict[str, int] = field(default_factory=dict)
    as_of: dt.datetime | None = None  # when the rolled-up counts were computed


def overview(area: Area, *, show_households: bool) -> AreaOverview:
    """Counts for ``area`` and each child, grouped in SQL by the child's path prefix."""
    # By path, not get_children(): that trusts the in-memory numchild, stale after adds.
    children = list(Area.objects.filter(path__startswith=area.path, depth=area.depth + 1))
    length = (area.depth + 1) * STEP
    stats = {child.path: ChildStats(child) for child in children}
    total = ChildStats(area)

    def bucket(prefix: str) -> ChildStats | None:
        return stats.get(prefix)

    by_kind: Counter[str] = Counter()
    grid_rows = (
        Area.objects.under(area)
        .grids()
        .annotate(prefix=Substr("path", 1, length))
        .values("prefix", "grid_kind")
        .annotate(n=Count("id"))
    )
    for row in grid_rows:
        by_kind[row["grid_kind"]] += row["n"]
        total.grids += row["n"]
        if (entry := bucket(row["prefix"])) is not None:
            entry.grids += row["n"]
    compliant_by_prefix: defaultdict[str, int] = defaultdict(int)
    for entry in staffing(area):
        if entry.compliant:
            compliant_by_prefix[entry.grid.path[:length]] += 1
            total.compliant_grids += 1
    for prefix, n in compliant_by_prefix.items():
        if (entry := bucket(prefix)) is not None:
            entry.compliant_grids = n
    as_of = None
    if show_households and area.depth < GRID_DEPTH:
        # Above a grid, read the per-grid rollup: never aggregate raw residents here.
        rows = (
            GridTally.objects.filter(grid__path__startswith=area.path)
            .annotate(prefix=Substr("grid__path", 1, length))
            .values("prefix")
            .annotate(h=Sum("households"), r=Sum("residents"), at=Min("computed_at"))
        )
        for row in rows:
            total.households += row["h"]
            total.residents += row["r"]
            as_of = row["at"] if as_of is None else min(as_of, row["at"])
            if (entry := bucket(row["prefix"])) is not None:
                entry.households += row["h"]
                entry.residents += row["r"]
    elif show_households:
        # A grid or a micro-grid: small enough to count live, so a new household shows at once.
        households = (
            Household.objects.filter(grid=area)
            if area.depth == GRID_DEPTH
            else Household.objects.filter(micro_grid=area)
        )
        for row in (
            households.annotate(prefix=Substr("micro_grid__path", 1, length))
            .values("prefix")
            .annotate(n=Count("id"))
        ):
            total.households += row["n"]
            if (entry := bucket(row["prefix"])) is not None:
                entry.households += row["n"]
        total.residents = Resident.objects.filter(
            household__in=households.values("pk"), status=Resident.Status.LIVING
        ).count()
    return AreaOverview(area, list(stats.values()), total, dict(by_kind), as_of)


@dataclass
class ParentCoverage:
    parent: Area
    children: list[Area]
    coverage: geo.Coverage


def coverage_report(area: Area) -> list[ParentCoverage]:
    """Gaps and overlaps for every parent in the subtree of ``area`` (one query)."""
    nodes = list(
        Area.objects.under(area).only(
            "id", "path", "depth", "code", "name", "level", "boundary", "numchild"
        )
    )
    children: defaultdict[str, list[Area]] = defaultdict(list)
    for node in nodes:
        if node.depth > area.depth:
            children[node.path[:-STEP]].append(node)
    report = []
    for node in nodes:
        kids = children.get(node.path)
        if not kids:
            continue
        result = geo.coverage(node.geometry, [(kid, kid.geometry) for kid in kids])
        report.append(ParentCoverage(node, kids, result))
    return report


def people(area: Area):
    """The accounts that hold or held a post at ``area`` or below."""
    return (
        get_user_model()
        .objects.filter(posts__area__path__startswith=area.path)
        .distinct()
        .order_by("display_name", "username")
        # Whether the viewer may act on each person depends on all their posts.
        .prefetch_related(Prefetch("posts", queryset=Post.objects.select_related("area")))
    )


def holders_above(area: Area, roles):
    """The active users holding an active post in one of ``roles`` at ``area`` or any area
    above it: who hears of what happens there (a high-risk dispute, a resident's topic)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            posts__in=Post.objects.active().filter(
                area__path__in=ancestor_paths(area.path), role__in=roles
            ),
        )
        .distinct()
    )
