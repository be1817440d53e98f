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
