"""Reads that pages and reports share: staffing, counts per child area, coverage.

Each runs a fixed number of queries whatever the size of the subtree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import Substr

from grids import geo
from grids.models import Area, Household, Post, Resident
from grids.roles import GRID_DEPTH, Level, Role

STEP = Area.steplen
GRID_PATH_LENGTH = GRID_DEPTH * STEP

# "1+3+N": one full-time leader or worker, three part-time workers, N volunteers or liaisons.
STAFFING_FULL_TIME = getattr(settings, "STAFFING_FULL_TIME", 1)
STAFFING_PART_TIME = getattr(settings, "STAFFING_PART_TIME", 3)
STAFFING_N = getattr(settings, "STAFFING_N", 1)

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
    care: int = 0

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


def overview(area: Area, *, show_households: bool) -> AreaOverview:
    """Counts for ``area`` and each child, grouped in SQL by the child's path prefix."""
    children = list(Area.objects.get_children(area))
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
    if show_households:
        if area.depth < GRID_DEPTH:
            households, key = (
                Household.objects.filter(grid__path__startswith=area.path),
                "grid__path",
            )
        elif area.depth == GRID_DEPTH:
            households, key = Household.objects.filter(grid=area), "micro_grid__path"
        else:
            households, key = Household.objects.filter(micro_grid=area), "micro_grid__path"
        residents = Resident.objects.filter(
            household__in=households.values("pk"), status=Resident.Status.LIVING
        )
        household_rows = (
            households.annotate(prefix=Substr(key, 1, length))
            .values("prefix")
            .annotate(n=Count("id"))
        )
        resident_rows = (
            residents.annotate(prefix=Substr(f"household__{key}", 1, length))
            .values("prefix")
            .annotate(n=Count("id", distinct=True), care=Count("care__resident", distinct=True))
        )
        for row in household_rows:
            total.households += row["n"]
            if (entry := bucket(row["prefix"])) is not None:
                entry.households += row["n"]
        for row in resident_rows:
            total.residents += row["n"]
            total.care += row["care"]
            if (entry := bucket(row["prefix"])) is not None:
                entry.residents += row["n"]
                entry.care += row["care"]
    return AreaOverview(area, list(stats.values()), total, dict(by_kind))


@dataclass
class ParentCoverage:
    parent: Area
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
        report.append(ParentCoverage(node, result))
    return report


LEVEL_CHILD = {
    Level.DISTRICT: "street",
    Level.STREET: "community",
    Level.TOWN: "community",
    Level.COMMUNITY: "grid",
    Level.VILLAGE: "grid",
    Level.GRID: "micro_grid",
}
