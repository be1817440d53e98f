"""Reads behind the branch pages: coverage, 一肩挑, 双报到 queue, service minimum, 联户 gaps.

Each runs a fixed number of queries whatever the size of the area.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from branches.models import (
    Branch,
    BranchGrid,
    HouseholdLink,
    PartyMember,
    Registration,
    ServiceRecord,
    community_q,
)
from grids.models import Area, Household, Post
from grids.roles import Role


@dataclass
class BranchCoverage:
    grids: int
    covered: int
    uncovered: list[Area]

    @property
    def share(self) -> float | None:
        return self.covered / self.grids if self.grids else None


def branch_coverage(area: Area) -> BranchCoverage:
    """Grids with a branch / all grids under ``area``, and the grids without one."""
    grids = list(
        Area.objects.under(area)
        .grids()
        .annotate(has_branch=Exists(BranchGrid.objects.filter(grid=OuterRef("pk"))))
        .only("id", "code", "name", "path", "depth", "level", "grid_kind")
    )
    uncovered = [g for g in grids if not g.has_branch]
    return BranchCoverage(len(grids), len(grids) - len(uncovered), uncovered)


def branches_under(area: Area, user) -> list[Branch]:
    """Branches of the communities under ``area`` with their grids and the 一肩挑 flag."""
    branches = list(
        Branch.objects.visible_to(user)
        .filter(community_q([area.path], "community", "pk"))
        .select_related("community", "secretary__user")
        .prefetch_related(
            Prefetch(
                "coverage",
                queryset=BranchGrid.objects.select_related("grid").order_by("grid__path"),
            )
        )
        .annotate(member_count=Count("members", filter=Q(members__active=True)))
        .order_by("community__path", "code")
    )
    mark_one_shoulder(branches)
    return branches


def mark_one_shoulder(branches: list[Branch]) -> None:
    """Set ``one_shoulder`` on each branch: its secretary is a grid leader of one of its grids.

    "一肩挑": the grid leader also serves as the branch secretary.
    """
    users = {b.secretary.user_id for b in branches if b.secretary and b.secretary.user_id}
    leading = set(
        Post.objects.active()
        .filter(user_id__in=users, role=Role.GRID_LEADER)
        .values_list("user_id", "area_id")
    )
    for branch in branches:
        secretary = branch.secretary
        grid_ids = [link.grid_id for link in branch.coverage.all()]
        branch.one_shoulder = bool(
            secretary
            and secretary.user_id
            and any((secretary.user_id, grid_id) in leading for grid_id in grid_ids)
        )


def pending_registrations(community: Area):
    return (
        Registration.objects.filter(community=community, status=Registration.Status.PENDING)
        .select_related("member")
        .prefetch_related("claims")
        .order_by("submitted_at")
    )


def served(year: int) -> Exists:
    """For a registration: its member has served its community in ``year`` (the annual
    minimum of 双报到)."""
    return Exists(
        ServiceRecord.objects.filter(
            member=OuterRef("member"), community=OuterRef("community"), served_on__year=year
        )
    )


def without_service(community: Area, year: int | None = None) -> list[Registration]:
    """Confirmed in-service members who have not served the community this year."""
    year = year or timezone.localdate().year
    return list(
        Registration.objects.filter(community=community, status=Registration.Status.CONFIRMED)
        .annotate(served=served(year))
        .filter(served=False)
        .select_related("member")
        .order_by("member__name")
    )


@dataclass
class LinkGap:
    grid: Area
    households: int
    unlinked: int


def link_gaps(grids) -> list[LinkGap]:
    """Per grid of ``grids``: households with no linked party member (two queries)."""
    grids = {g.pk: g for g in grids}
    rows = (
        Household.objects.filter(grid_id__in=grids)
        .annotate(linked=Exists(HouseholdLink.objects.filter(household=OuterRef("pk"))))
        .values("grid_id")
        .annotate(total=Count("id"), unlinked=Count("id", filter=Q(linked=False)))
    )
    by_grid = {row["grid_id"]: row for row in rows}
    return [
        LinkGap(grid, by_grid.get(pk, {}).get("total", 0), by_grid.get(pk, {}).get("unlinked", 0))
        for pk, grid in sorted(grids.items(), key=lambda item: item[1].path)
    ]


def unlinked_households(grid: Area):
    return (
        Household.objects.filter(grid=grid)
        .exclude(Exists(HouseholdLink.objects.filter(household=OuterRef("pk"))))
        .order_by("address")
    )


def members_with_link_counts(queryset) -> list[PartyMember]:
    members = list(queryset.annotate(link_count=Count("links")))
    for member in members:
        low, _high = member.link_limits
        member.links_short = member.link_count < low
    return members


def household_members(user, household):
    """The party members linked to the household (党员联户; a panel of the household's page)."""
    return (
        HouseholdLink.objects.visible_to(user)
        .filter(household=household)
        .select_related("member__branch")
        .order_by("since")[:10]
    )
