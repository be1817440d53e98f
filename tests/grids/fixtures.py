"""Targets of the grids pages in the access matrix (tests/grids/access_cases.py)."""

import datetime as dt

import pytest
from django.utils import timezone

from grids.models import Leave, Post


@pytest.fixture
def leave_in_grid(territory):
    """A coming leave of a grid worker of G1 (AB岗), whatever day the test runs."""
    from tests.factories import PostFactory

    post = PostFactory(area=territory.grid, role=Post.Role.GRID_WORKER)
    start = timezone.localdate() + dt.timedelta(days=30)
    return Leave.objects.create(user=post.user, starts_on=start, ends_on=start)


@pytest.fixture
def export_request(territory):
    """A pending request of C1's staff to export C1's residents, decided at S1."""
    from grids.models import ExportApproval, ExportKind
    from tests.factories import PostFactory

    post = PostFactory(area=territory.community, role=Post.Role.COMMUNITY_STAFF)
    return ExportApproval.objects.create(
        requester=post.user,
        area=territory.community,
        approver_area=territory.street,
        kind=ExportKind.RESIDENTS,
        path="/areas/C1/households/export.csv",
        rows=300,
        reason="核对",
    )
