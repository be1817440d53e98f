import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grids import services
from grids.models import Area
from grids.selectors import coverage_report
from tests.factories import area, box

pytestmark = pytest.mark.django_db


def test_levels_follow_the_tree(territory):
    with pytest.raises(ValidationError) as caught:
        area(territory.street, "X1", "grid", None, grid_kind="comprehensive")
    assert "level" in caught.value.message_dict
    with pytest.raises(ValidationError):
        area(None, "X2", "street", None)


def test_codes_are_unique_and_permanent(territory):
    with pytest.raises(ValidationError) as caught:
        area(territory.community, "G1", "grid", None, grid_kind="comprehensive")
    assert "code" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.update_area(by=None, area=territory.grid, code="G1-NEW")


def test_a_grid_needs_a_kind_and_a_dedicated_grid_a_type(territory):
    with pytest.raises(ValidationError) as caught:
        area(territory.community, "X3", "grid", None)
    assert "grid_kind" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        area(territory.community, "X4", "grid", None, grid_kind="dedicated")
    assert "dedicated_type" in caught.value.message_dict


def test_a_self_intersecting_boundary_is_refused(territory):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[120.0, 31.0], [120.1, 31.1], [120.1, 31.0], [120.0, 31.1], [120.0, 31.0]]
        ],
    }
    with pytest.raises(ValidationError) as caught:
        services.update_area(by=None, area=territory.far_grid, boundary=bowtie)
    assert "not a valid polygon" in str(caught.value)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [120.0, 31.0]},
        {"type": "Polygon", "coordinates": [[[120.0, 31.0], [120.1]]]},
        {
            "type": "Polygon",
            "coordinates": [[[31.0, 200.0], [31.1, 200.0], [31.1, 200.1], [31.0, 200.0]]],
        },
        "not json at all",
    ],
)
def test_a_malformed_boundary_is_refused_with_a_message(territory, geometry):
    with pytest.raises(ValidationError):
        services.update_area(by=None, area=territory.far_grid, boundary=geometry)


def test_a_boundary_must_lie_inside_its_parent(territory):
    with pytest.raises(ValidationError) as caught:
        area(
            territory.other_community,
            "X5",
            "grid",
            (120.0, 31.15, 120.25, 31.2),
            grid_kind="comprehensive",
        )
    assert "beyond" in str(caught.value)


def test_siblings_may_touch_but_not_overlap(territory):
    # G3 covers all of C2; any new grid in C2 overlaps it.
    with pytest.raises(ValidationError) as caught:
        area(
            territory.other_community,
            "X6",
            "grid",
            (120.0, 31.15, 120.05, 31.2),
            grid_kind="comprehensive",
        )
    assert "overlaps" in str(caught.value) and "G3" in str(caught.value)
    services.update_area(by=None, area=territory.far_grid, boundary=box(120.0, 31.1, 120.1, 31.2))
    area(
        territory.other_community,
        "X7",
        "grid",
        (120.1, 31.1, 120.2, 31.2),
        grid_kind="comprehensive",
    )


def test_shrinking_a_parent_may_not_strand_its_children(territory):
    with pytest.raises(ValidationError) as caught:
        services.update_area(
            by=None, area=territory.community, boundary=box(120.0, 31.0, 120.15, 31.1)
        )
    assert "G2" in str(caught.value) or territory.neighbour_grid.name in str(caught.value)


def test_moving_a_grid_keeps_the_tree_valid(territory):
    unmapped = area(territory.community, "X8", "grid", None, grid_kind="comprehensive")
    area(unmapped, "X8-M1", "micro_grid", None)
    area(unmapped, "X8-M2", "micro_grid", None)
    moved = services.move_area(by=None, area=unmapped, new_parent=territory.other_community)
    assert Area.objects.get_parent(moved).pk == territory.other_community.pk
    children = list(Area.objects.get_children(moved))
    assert [c.code for c in children] == ["X8-M1", "X8-M2"]
    assert all(c.path.startswith(moved.path) and c.depth == 5 for c in children)
    assert Area.objects.find_problems() == ([], [], [], [], [])
    assert Area.objects.get(pk=territory.community.pk).numchild == 2
    assert Area.objects.get(pk=territory.other_community.pk).numchild == 2


def test_a_mapped_grid_cannot_move_where_its_boundary_does_not_fit(territory):
    with pytest.raises(ValidationError) as caught:
        services.move_area(by=None, area=territory.grid, new_parent=territory.other_community)
    assert "does not lie inside" in str(caught.value)


def test_moving_an_area_under_itself_or_to_the_wrong_level_is_refused(territory):
    with pytest.raises(ValidationError):
        services.move_area(by=None, area=territory.street, new_parent=territory.grid)
    with pytest.raises(ValidationError):
        services.move_area(by=None, area=territory.grid, new_parent=territory.other_street)


def test_a_subtree_is_one_query(territory, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = sorted(Area.objects.under(territory.street).values_list("code", flat=True))
    assert codes == ["C1", "C2", "G1", "G1-M1", "G1-M2", "G2", "G3", "S1"]


def test_district_and_street_staff_edit_areas_in_their_own_territory(
    territory,
    own_worker,
    community_officer,
    street_officer,
    other_street_officer,
    district_officer,
):
    for outsider in (own_worker, community_officer, other_street_officer):
        with pytest.raises(PermissionDenied):
            services.update_area(by=outsider, area=territory.grid, name="改名")
    services.update_area(by=street_officer, area=territory.grid, name="改名")
    services.update_area(by=district_officer, area=territory.grid, name="再改名")
    assert Area.objects.get(pk=territory.grid.pk).name == "再改名"


def test_coverage_finds_nothing_wrong_in_a_tiled_territory(territory):
    report = coverage_report(territory.district)
    assert report and all(entry.coverage.ok for entry in report)


def test_coverage_lists_gaps_and_overlaps_per_parent(territory):
    # Make a gap: G2 shrinks to its eastern half, leaving 120.1-120.15 uncovered in C1.
    services.update_area(
        by=None, area=territory.neighbour_grid, boundary=box(120.15, 31.0, 120.2, 31.1)
    )
    # Make an overlap behind the service's back (as an imported legacy boundary would).
    Area.objects.filter(pk=territory.micro2.pk).update(boundary=box(120.04, 31.0, 120.1, 31.1))
    by_parent = {entry.parent.code: entry.coverage for entry in coverage_report(territory.district)}
    gap = by_parent["C1"].gaps
    assert len(gap) == 1
    # 0.05° × 0.1° at 31.05°N ≈ 4,768 m × 11,057 m
    assert gap[0].area_m2 == pytest.approx(0.05 * 111_320 * 0.8565 * 0.1 * 110_574, rel=0.01)
    overlaps = by_parent["G1"].overlaps
    assert [(o.first.code, o.second.code) for o in overlaps] == [("G1-M1", "G1-M2")]
    assert by_parent["D"].ok and by_parent["S1"].ok


def test_a_child_without_a_boundary_is_reported_unmapped(territory):
    area(territory.far_grid, "G3-M1", "micro_grid", None)
    by_parent = {entry.parent.code: entry.coverage for entry in coverage_report(territory.district)}
    assert [a.code for a in by_parent["G3"].unmapped] == ["G3-M1"]
