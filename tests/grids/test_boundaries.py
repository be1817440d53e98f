"""GCJ-02 conversion and boundaries judged together (grids.geo, grids.services)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grids import geo, services
from grids.models import Area
from tests.factories import box

# WGS-84 → GCJ-02 pairs published with the eviltransform library (lon, lat).
KNOWN = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
]


@pytest.mark.parametrize(("wgs", "gcj"), KNOWN)
def test_gcj02_matches_known_points_both_ways(wgs, gcj):
    assert geo.distance_m(geo.wgs84_to_gcj02(*wgs), gcj) < 0.01
    assert geo.distance_m(geo.gcj02_to_wgs84(*gcj), wgs) < 0.5
    assert geo.distance_m(wgs, gcj) > 300  # the offset being undone is real


@pytest.mark.parametrize("point", [(118.7969, 32.0603), (120.0, 31.0), (87.6, 43.8)])
def test_gcj02_round_trips_within_half_a_metre(point):
    assert geo.distance_m(geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(*point)), point) < 0.5


@pytest.mark.parametrize("point", [(2.3522, 48.8566), (139.6917, 35.6895), (-74.006, 40.7128)])
def test_points_outside_china_are_unchanged(point):
    assert geo.gcj02_to_wgs84(*point) == point
    assert geo.wgs84_to_gcj02(*point) == point


def test_a_geometry_is_converted_vertex_by_vertex():
    gcj = geo.wgs84_to_gcj02_geometry(geo.to_geometry(box(118.7, 32.0, 118.8, 32.1)))
    back = geo.as_geojson(geo.gcj02_to_wgs84_geometry(gcj))
    original = box(118.7, 32.0, 118.8, 32.1)
    assert back["type"] == "Polygon"
    for a, b in zip(back["coordinates"][0], original["coordinates"][0], strict=True):
        assert geo.distance_m(tuple(a), tuple(b)) < 0.5
    assert geo.same_geometry(geo.to_geometry(back), geo.to_geometry(original))


@pytest.mark.django_db
def test_boundaries_are_judged_in_their_final_state(territory):
    moved = [
        (territory.grid, box(120.0, 31.0, 120.12, 31.1)),
        (territory.neighbour_grid, box(120.12, 31.0, 120.2, 31.1)),
    ]
    assert services.check_boundaries(moved) == {}
    assert "G1" in services.check_boundaries(moved[:1])  # alone, it overlaps G2's old edge
    services.update_boundaries(by=None, boundaries=moved)
    assert Area.objects.get(code="G2").bbox_west == 120.12


@pytest.mark.django_db
def test_the_area_that_moved_onto_an_unchanged_neighbour_is_blamed(territory):
    errors = services.check_boundaries(
        [
            (territory.grid, box(120.0, 31.0, 120.1, 31.1)),  # as stored
            (territory.neighbour_grid, box(120.08, 31.0, 120.2, 31.1)),
        ]
    )
    assert list(errors) == ["G2"]
    assert "overlaps" in errors["G2"][0] and "G1" in errors["G2"][0]


@pytest.mark.django_db
def test_a_parent_and_its_children_may_change_together(territory):
    changes = [
        (territory.grid, box(120.01, 31.01, 120.09, 31.09)),
        (territory.micro, box(120.01, 31.01, 120.05, 31.09)),
        (territory.micro2, box(120.05, 31.01, 120.09, 31.09)),
    ]
    assert services.check_boundaries(changes) == {}
    errors = services.check_boundaries(changes[:1])
    assert list(errors) == ["G1"] and len(errors["G1"]) == 2  # both micro-grids stick out


@pytest.mark.django_db
def test_checking_many_boundaries_takes_a_fixed_number_of_queries(
    territory, django_assert_max_num_queries
):
    # Every area of the territory at once, in four families: parents, siblings, children.
    areas = list(Area.objects.all())
    with django_assert_max_num_queries(3):
        errors = services.check_boundaries([(a, a.boundary) for a in areas])
    assert errors == {}


@pytest.mark.django_db
def test_a_batch_refuses_areas_the_user_may_not_edit(territory, community_officer):
    with pytest.raises(PermissionDenied):
        services.update_boundaries(
            by=community_officer, boundaries=[(territory.grid, box(120.0, 31.0, 120.1, 31.1))]
        )


@pytest.mark.django_db
def test_a_batch_with_a_misfit_saves_nothing(territory):
    with pytest.raises(ValidationError) as caught:
        services.update_boundaries(
            by=None,
            boundaries=[
                (territory.far_grid, box(120.0, 31.1, 120.1, 31.2)),
                (territory.neighbour_grid, box(120.1, 31.0, 120.25, 31.1)),  # into S2
            ],
        )
    assert list(caught.value.message_dict) == ["G2"]
    assert Area.objects.get(code="G3").boundary == box(120.0, 31.1, 120.2, 31.2)
