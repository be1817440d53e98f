"""Coverage maths on hand-computed layouts.

The territory (tests/conftest.py): D → S1 (C1 → G1, G2; C2 → G3) and S2 (C3 → G4), each grid
a box 0.1° wide. Distances run north-south, where the projection is exact:
1 m = 1 / 110,574 degrees of latitude.
"""

from __future__ import annotations

import datetime as dt

import pytest

from grids.models import Household
from stations.models import Kind
from stations.selectors import coverage, ratio, service_circle
from tests.factories import HouseholdFactory, area
from tests.stations.factories import StationFactory, inspect

pytestmark = pytest.mark.django_db

M = 1 / 110_574  # degrees of latitude per metre


@pytest.fixture
def layout(territory):
    """C1's centre stands in G1 (passed), G3 has a grid station (failed its latest),
    G2 only a rider rest stop (never inspected), G4's grid station has closed."""
    t = territory
    centre = StationFactory(
        code="C1-ZX", kind=Kind.CENTRE, area=t.community, longitude=120.05, latitude=31.05
    )
    inspect(centre, on=dt.date(2026, 1, 1))
    g3 = StationFactory(code="G3-ZD", area=t.far_grid, longitude=120.1, latitude=31.15)
    inspect(g3, on=dt.date(2026, 1, 1), failed=["plaque"])
    StationFactory(code="G2-YZ", kind=Kind.RIDER_STOP, area=t.neighbour_grid)
    StationFactory(code="G4-ZD", area=t.other_street_grid, is_open=False)
    return t


def test_ratio_never_divides_by_zero():
    assert ratio(0, 0) is None
    assert ratio(1, 4) == 0.25


def test_grids_with_a_station_count_centres_and_grid_stations_that_stand_in_them(layout):
    t = layout
    district = coverage(t.district)
    assert (district.total.grids_with_station, district.total.grids) == (2, 4)
    assert district.total.station_share == 0.5
    assert [g.code for g in district.grids_without] == ["G2", "G4"]
    by_child = {row.area.code: row for row in district.children}
    assert (by_child["S1"].grids_with_station, by_child["S1"].grids) == (2, 3)
    assert (by_child["S2"].grids_with_station, by_child["S2"].grids) == (0, 1)
    assert coverage(t.community).total.grids_with_station == 1  # G1 through the centre
    assert coverage(t.grid).total.station_share == 1.0


def test_standardised_stations_count_open_ones_by_their_latest_inspection(layout):
    t = layout
    total = coverage(t.district).total
    assert (total.standardised, total.stations) == (1, 3)  # the closed G4 station is left out
    c1 = coverage(t.community).total
    assert (c1.standardised, c1.stations) == (1, 2)  # centre passed, rider stop never inspected
    assert coverage(t.other_street).total.standard_share is None  # no open station: "—"


def test_an_empty_area_has_no_shares_rather_than_zero(territory):
    empty = area(territory.street, "C9", "community", None, name="空社区")
    report = coverage(empty)
    assert report.total.grids == 0 and report.total.station_share is None
    assert report.total.stations == 0 and report.total.standard_share is None
    assert report.circle.households == 0 and report.circle.share is None
    assert report.grids_without == [] and report.grids_outside == []


def _home(grid, latitude, longitude=120.05, **extra):
    return HouseholdFactory(grid=grid, longitude=longitude, latitude=latitude, **extra)


@pytest.fixture
def circle_layout(territory):
    """One station in G1 at (120.05, 31.05); households due north of it in G1 and one in G3."""
    t = territory
    StationFactory(code="G1-ZD", area=t.grid, longitude=120.05, latitude=31.05)
    homes = {
        "0 m": _home(t.grid, 31.05),
        "1,000 m": _home(t.grid, 31.05 + 1000 * M),
        "1,199 m": _home(t.grid, 31.05 + 1199 * M),
        "1,201 m": _home(t.grid, 31.05 + 1201 * M),
        "4,000 m": _home(t.grid, 31.05 + 4000 * M),
        "no coordinates": HouseholdFactory(grid=t.grid),
        # In G2, 500 m east across the G1/G2 line (at this latitude 1° of longitude is
        # 95,350 m): served by G1's station although G2 has none.
        "G2 500 m": _home(t.neighbour_grid, 31.05, longitude=120.05 + 500 / 95_350),
        "G3 far": _home(t.far_grid, 31.15),
    }
    return t, homes


def test_the_circle_counts_households_within_the_walking_distance(circle_layout, settings):
    t, homes = circle_layout
    settings.SERVICE_CIRCLE_METRES, settings.SERVICE_CIRCLE_DETOUR = 1200, 1.0
    grids = [t.grid, t.neighbour_grid, t.far_grid, t.other_street_grid]
    circle = service_circle(t.district, grids)
    assert (circle.households, circle.located, circle.unlocated) == (8, 7, 1)
    assert circle.inside == 4  # 0 m, 1,000 m, 1,199 m, and G2's 500 m
    assert circle.share == pytest.approx(4 / 7)
    outside = {homes[k].pk for k in ("1,201 m", "4,000 m", "G3 far")}
    assert set(circle.outside_ids.tolist()) == outside
    distances = dict(
        zip(circle.outside_ids.tolist(), circle.walking_metres().tolist(), strict=True)
    )
    assert distances[homes["1,201 m"].pk] == pytest.approx(1201, abs=0.5)
    assert distances[homes["4,000 m"].pk] == pytest.approx(4000, abs=0.5)
    by_grid = {row.grid.code: row for row in circle.grids}
    assert (by_grid["G1"].located, by_grid["G1"].inside, by_grid["G1"].unlocated) == (5, 3, 1)
    assert (by_grid["G2"].located, by_grid["G2"].inside) == (1, 1)
    assert (by_grid["G3"].located, by_grid["G3"].inside, by_grid["G3"].outside) == (1, 0, 1)
    assert by_grid["G4"].share is None  # no households: nothing to divide


def test_the_detour_factor_shrinks_the_circle(circle_layout):
    t, homes = circle_layout
    circle = service_circle(t.grid, [t.grid], metres=1200, detour=1.3)
    # 1,000 m × 1.3 = 1,300 m > 1,200 m; 0 m stays inside; 1,200 / 1.3 = 923 m straight.
    assert circle.inside == 1
    assert circle.straight_line_metres == pytest.approx(923.08, abs=0.01)
    walking = dict(zip(circle.outside_ids.tolist(), circle.walking_metres().tolist(), strict=True))
    assert walking[homes["1,000 m"].pk] == pytest.approx(1300, abs=0.5)


def test_a_closed_station_serves_nobody(circle_layout):
    t, _homes = circle_layout
    t.grid.stations.update(is_open=False)
    circle = service_circle(t.grid, [t.grid])
    assert circle.inside == 0 and circle.located == 5
    assert all(m == float("inf") for m in circle.walking_metres().tolist())


def test_outside_households_are_listed_by_grid_then_as_added(circle_layout):
    t, homes = circle_layout
    circle = coverage(t.district).circle
    assert circle.outside_ids.tolist() == [
        homes["1,201 m"].pk,
        homes["4,000 m"].pk,
        homes["G3 far"].pk,
    ]


def test_child_rows_add_up_to_the_total(circle_layout):
    t, _homes = circle_layout
    report = coverage(t.district)
    assert sum(row.located for row in report.children) == report.total.located == 7
    assert sum(row.inside for row in report.children) == report.total.inside == 4
    assert [(g.grid.code, g.outside) for g in report.grids_outside] == [("G1", 2), ("G3", 1)]


def test_a_micro_grid_counts_its_own_households(circle_layout):
    t, _homes = circle_layout
    Household.objects.filter(grid=t.grid).update(micro_grid=t.micro)
    report = coverage(t.micro)
    assert report.circle.located == 5 and report.circle.inside == 3


def test_walking_distances_are_computed_for_the_rows_asked_only(circle_layout):
    t, _homes = circle_layout
    circle = service_circle(t.grid, [t.grid])
    first_two = circle.walking_metres([0, 1]).tolist()
    assert first_two == pytest.approx([1201, 4000], abs=0.5)
