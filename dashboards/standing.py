"""Keeping ``AreaStanding`` right: how every area stands now, from the grids and communities up.

The figures come from the selectors the branch, station, staffing and visit pages use, run
once over each district, so a dashboard and the page it links to never disagree. Each grid
and community gets its own counts; every area above gets the sum of those under it. The job
replaces all rows in one transaction (Celery beat every 15 minutes, and the
``refresh_standing`` command).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from branches.models import Branch, MemberKind, PartyMember, Registration
from branches.selectors import branch_coverage, link_gaps, mark_one_shoulder, served
from dashboards.models import STANDING, AreaStanding
from dashboards.rollup import ancestors_of, remember_refresh, roll_up
from grids.models import Area, Household
from grids.selectors import staffing
from stations.models import Station
from stations.selectors import coverage
from visits.selectors import coverage_by_grid

Counts = defaultdict[int, defaultdict[str, int]]


def _grids(root: Area, rows: Counts, today: dt.date) -> None:
    for entry in staffing(root):
        row = rows[entry.grid.pk]
        row["grids"] = 1
        if entry.grid.grid_kind == Area.GridKind.DEDICATED:
            row["grids_dedicated"] = 1
        else:
            row["grids_comprehensive"] = 1
        row["grids_staffed"] = int(entry.compliant)
        row["vacancies"] = sum(entry.shortfall.values())
        row["workers"] = entry.full_time + entry.part_time
    grids = list(Area.objects.under(root).grids())
    without_branch = {grid.pk for grid in branch_coverage(root).uncovered}
    stations = coverage(root)
    without_station = {grid.pk for grid in stations.grids_without}
    for grid in grids:
        rows[grid.pk]["grids_with_branch"] = int(grid.pk not in without_branch)
        rows[grid.pk]["grids_with_station"] = int(grid.pk not in without_station)
    for gap in link_gaps(grids):
        rows[gap.grid.pk]["households"] = gap.households
        rows[gap.grid.pk]["households_linked"] = gap.households - gap.unlinked
    visits = coverage_by_grid(Household.objects.under(root), today)
    for grid, counts in visits.items():
        row = rows[grid]
        row["visited_30"] = counts["visited30"]
        row["visited_90"] = counts["visited90"]
        row["visits_overdue"] = counts["overdue"]
        row["care_overdue"] = counts["overdue_care"]
    for circle in stations.circle.grids:
        rows[circle.grid.pk]["households_located"] = circle.located
        rows[circle.grid.pk]["households_in_circle"] = circle.inside


def _stations(root: Area, rows: Counts) -> None:
    for area, standardised in (
        Station.objects.open().under(root).with_standing().values_list("area_id", "standardised")
    ):
        rows[area]["stations"] += 1
        rows[area]["stations_standardised"] += int(bool(standardised))


def _branches(rows: Counts, year: int) -> None:
    branches = list(Branch.objects.select_related("secretary").prefetch_related("coverage"))
    mark_one_shoulder(branches)
    for branch in branches:
        rows[branch.community_id]["branches"] += 1
        rows[branch.community_id]["branches_one_shoulder"] += int(branch.one_shoulder)
    members = (
        PartyMember.objects.filter(kind=MemberKind.IN_SERVICE, active=True)
        .values_list("community")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for community, n in members:
        rows[community]["members_in_service"] += n
    registrations = (
        Registration.objects.filter(status=Registration.Status.CONFIRMED)
        .annotate(done=served(year))
        .values_list("community", "done")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for community, done, n in registrations:
        rows[community]["members_registered"] += n
        if done:
            rows[community]["members_served"] += n


def leaf_counts(now: dt.datetime | None = None) -> dict[int, dict[str, int]]:
    """{area id: counts} for the grids and communities (and any area holding a station)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows: Counts = defaultdict(lambda: defaultdict(int))
    for root in Area.objects.get_root_nodes():
        _grids(root, rows, today)
        _stations(root, rows)
    _branches(rows, today.year)
    return {area: dict(counts) for area, counts in rows.items()}


@transaction.atomic
def refresh_standing(now: dt.datetime | None = None) -> int:
    """Recompute every area's standing; returns how many rows were written."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # The rollups' summing into every area above, with the standing as one "day".
    rolled = roll_up({(today, area): c for area, c in leaf_counts(now).items()}, ancestors_of())
    totals = {area: counts for (_today, area), counts in rolled.items()}
    AreaStanding.objects.all().delete()
    AreaStanding.objects.bulk_create(
        [
            AreaStanding(area_id=area, computed_at=now, **{k: c.get(k, 0) for k in STANDING})
            for area, c in totals.items()
        ],
        batch_size=2000,
    )
    # Cached dashboard bodies are keyed on this stamp: they show the new standing at once.
    transaction.on_commit(lambda: remember_refresh(now))
    return len(totals)
