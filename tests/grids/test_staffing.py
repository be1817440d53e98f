import datetime as dt

import pytest

from grids.roles import Role
from grids.selectors import staffing
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def _staff(area, role, n=1, **extra):
    for _ in range(n):
        PostFactory(area=area, role=role, **extra)


def test_one_plus_three_plus_n_is_counted_per_grid(territory):
    _staff(territory.grid, Role.GRID_LEADER)
    _staff(territory.grid, Role.PART_TIME_WORKER, 3)
    _staff(territory.micro, Role.LIAISON)  # a liaison of a micro-grid counts for its grid
    _staff(territory.neighbour_grid, Role.GRID_WORKER)
    _staff(territory.neighbour_grid, Role.PART_TIME_WORKER, 2)
    _staff(territory.neighbour_grid, Role.VOLUNTEER, 4)
    rows = {row.grid.code: row for row in staffing(territory.community)}
    assert (rows["G1"].full_time, rows["G1"].part_time, rows["G1"].helpers) == (1, 3, 1)
    assert rows["G1"].compliant
    assert not rows["G2"].compliant
    assert rows["G2"].shortfall == {"full_time": 0, "part_time": 1, "helpers": 0}


def test_ended_and_future_posts_do_not_count(territory):
    today = dt.date.today()
    _staff(
        territory.grid,
        Role.GRID_WORKER,
        ended_on=today - dt.timedelta(days=1),
        started_on=today - dt.timedelta(days=30),
    )
    _staff(territory.grid, Role.GRID_WORKER, started_on=today + dt.timedelta(days=3))
    _staff(territory.grid, Role.PART_TIME_WORKER, 3)
    _staff(territory.grid, Role.VOLUNTEER)
    row = next(r for r in staffing(territory.grid) if r.grid.code == "G1")
    assert row.full_time == 0 and not row.compliant


def test_staffing_uses_two_queries_whatever_the_number_of_grids(
    territory, django_assert_num_queries
):
    with django_assert_num_queries(2):
        rows = staffing(territory.district)
    assert len(rows) == 4
