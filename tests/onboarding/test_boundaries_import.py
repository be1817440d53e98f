"""Boundaries from a GeoJSON FeatureCollection: checked feature by feature, as one final state."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from grids import geo
from grids import services as grid_services
from grids.models import Area
from onboarding import engine, services
from onboarding.models import ImportRun
from tests.factories import box

pytestmark = pytest.mark.django_db

BOXES = {
    "D": (120.0, 31.0, 120.4, 31.2),
    "S1": (120.0, 31.0, 120.2, 31.2),
    "S2": (120.2, 31.0, 120.4, 31.2),
    "C1": (120.0, 31.0, 120.2, 31.1),
    "C2": (120.0, 31.1, 120.2, 31.2),
    "C3": (120.2, 31.0, 120.4, 31.2),
    "G1": (120.0, 31.0, 120.1, 31.1),
    "G2": (120.1, 31.0, 120.2, 31.1),
    "G3": (120.0, 31.1, 120.2, 31.2),
    "G4": (120.2, 31.0, 120.4, 31.2),
    "G1-M1": (120.0, 31.0, 120.05, 31.1),
    "G1-M2": (120.05, 31.0, 120.1, 31.1),
}


def feature(code, geometry, **properties) -> dict:
    return {"type": "Feature", "properties": {"code": code, **properties}, "geometry": geometry}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def check(by, area, data, options=None, name="boundaries.geojson") -> ImportRun:
    content = data if isinstance(data, bytes) else json.dumps(data).encode()
    run = services.start_import(
        by=by,
        area=area,
        kind="boundaries",
        upload=SimpleUploadedFile(name, content),
        options=options,
        enqueue=False,
    )
    engine.check(run.pk)
    return ImportRun.objects.get(pk=run.pk)


def write(run: ImportRun) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.CONFIRMED)
    engine.write(run.pk)
    return ImportRun.objects.get(pk=run.pk)


def problems_of(run: ImportRun) -> list[tuple]:
    return [(p["row"], p["value"], p["message"]) for p in run.problems]


def stored(code: str) -> dict:
    return Area.objects.get(code=code).boundary


def test_the_territorys_boxes_import_unchanged(territory, district_officer):
    data = collection(*(feature(code, box(*bounds)) for code, bounds in BOXES.items()))
    run = check(district_officer, territory.district, data)
    assert run.status == ImportRun.Status.READY, run.problems
    assert run.tallies["features"] == {"created": 0, "updated": 0, "unchanged": len(BOXES)}
    assert run.rows == len(BOXES)
    assert write(run).status == ImportRun.Status.DONE


def test_an_export_imports_again_unchanged(territory, street_officer):
    data, record = services.export_bytes(
        by=street_officer, area=territory.street, kind="boundaries"
    )
    exported = json.loads(data)
    assert exported["type"] == "FeatureCollection"
    codes = [f["properties"]["code"] for f in exported["features"]]
    assert codes == ["S1", "C1", "G1", "G1-M1", "G1-M2", "G2", "C2", "G3"]
    first = exported["features"][0]
    assert first["properties"] == {"code": "S1", "name": "一号街道", "level": "street"}
    assert first["geometry"] == box(*BOXES["S1"])
    assert record.rows == len(codes)
    run = check(street_officer, territory.street, data)
    assert run.status == ImportRun.Status.READY, run.problems
    assert run.tallies["features"]["unchanged"] == len(codes)
    assert run.tallies["features"]["updated"] == 0


def test_a_feature_overlapping_its_neighbour_is_reported_and_nothing_is_written(
    territory, district_officer
):
    data = collection(
        feature("G1", box(*BOXES["G1"])),
        feature("G2", box(120.08, 31.0, 120.2, 31.1)),  # reaches 0.02° into G1
        feature("G3", box(120.0, 31.1, 120.15, 31.2)),  # fine on its own: leaves a gap
    )
    run = check(district_officer, territory.district, data)
    assert run.status == ImportRun.Status.INVALID
    found = problems_of(run)
    assert len(found) == 1
    row, value, message = found[0]
    assert (row, value) == (2, "G2")
    assert "overlaps" in message and "G1" in message
    # Written anyway (the page's confirm is refused; the write checks again): still nothing.
    assert write(run).status == ImportRun.Status.INVALID
    assert stored("G2") == box(*BOXES["G2"])
    assert stored("G3") == box(*BOXES["G3"])


def test_neighbours_moving_their_shared_edge_in_one_file_are_both_written(
    territory, street_officer
):
    moved_g1, moved_g2 = box(120.0, 31.0, 120.12, 31.1), box(120.12, 31.0, 120.2, 31.1)
    # One at a time, the first move overlaps the other's old boundary.
    with pytest.raises(Exception, match="overlaps"):
        grid_services.update_area(by=street_officer, area=territory.grid, boundary=moved_g1)
    run = check(
        street_officer,
        territory.street,
        collection(feature("G2", moved_g2), feature("G1", moved_g1)),
    )
    assert run.status == ImportRun.Status.READY, run.problems
    assert run.tallies["features"] == {"created": 0, "updated": 2, "unchanged": 0}
    done = write(run)
    assert done.status == ImportRun.Status.DONE, done.problems
    assert done.tallies["features"]["updated"] == 2
    assert stored("G1") == moved_g1 and stored("G2") == moved_g2
    grid = Area.objects.get(code="G1")
    assert (grid.bbox_west, grid.bbox_east) == (120.0, 120.12)


def test_a_multipolygon_is_accepted(territory, district_officer):
    two_parts = {
        "type": "MultiPolygon",
        "coordinates": [
            box(120.1, 31.0, 120.14, 31.1)["coordinates"],
            box(120.16, 31.0, 120.2, 31.1)["coordinates"],
        ],
    }
    run = check(district_officer, territory.district, collection(feature("G2", two_parts)))
    assert run.status == ImportRun.Status.READY, run.problems
    assert run.tallies["features"]["updated"] == 1
    assert write(run).status == ImportRun.Status.DONE
    assert stored("G2") == two_parts


def test_each_bad_feature_is_reported_by_its_number_and_code(territory, street_officer):
    point = {"type": "Point", "coordinates": [120.05, 31.05]}
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[120.0, 31.0], [120.1, 31.1], [120.1, 31.0], [120.0, 31.1], [120.0, 31.0]]
        ],
    }
    data = collection(
        feature("NOPE", box(120.0, 31.0, 120.1, 31.1)),  # 1: no such area
        feature("G4", box(*BOXES["G4"])),  # 2: in the other street
        {"type": "Feature", "properties": {"name": "无编码"}, "geometry": box(*BOXES["G1"])},
        feature("G3", point),  # 4: not a polygon
        feature("G2", bowtie),  # 5: not a valid polygon
        feature("G1", box(*BOXES["G1"])),  # 6: fine
        feature("G1", box(*BOXES["G1"])),  # 7: the same code again
        "not a feature",  # 8
        feature("C1", box(120.0, 31.0, 120.3, 31.1)),  # 9: beyond its street
    )
    run = check(street_officer, territory.street, data)
    assert run.status == ImportRun.Status.INVALID
    by_row = {row: (value, message) for row, value, message in problems_of(run)}
    assert sorted(by_row) == [1, 2, 3, 4, 5, 7, 8, 9]
    assert by_row[1] == ("NOPE", "No area has this code.")
    assert by_row[2][0] == "G4" and "outside" in by_row[2][1]
    assert "no code property" in by_row[3][1]
    assert by_row[4][0] == "G3" and "Polygon or MultiPolygon" in by_row[4][1]
    assert by_row[5][0] == "G2" and "not a valid polygon" in by_row[5][1]
    assert "feature 6" in by_row[7][1]
    assert "not a GeoJSON Feature" in by_row[8][1]
    assert by_row[9][0] == "C1" and "beyond" in by_row[9][1]
    assert run.report  # the report workbook lists them too
    with run.report.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).worksheets[0]
    assert sheet.max_row == 1 + len(by_row)


def test_the_code_property_can_be_named(territory, district_officer):
    data = collection(
        {"type": "Feature", "properties": {"WGBM": "G1"}, "geometry": box(*BOXES["G1"])},
        {"type": "Feature", "properties": {"code": "G2"}, "geometry": box(*BOXES["G2"])},
    )
    run = check(district_officer, territory.district, data, options={"code_property": "WGBM"})
    assert problems_of(run) == [(2, "", "This feature has no property WGBM.")]
    run = check(district_officer, territory.district, collection(data["features"][1]))
    assert run.status == ImportRun.Status.READY


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
        (json.dumps(box(120.0, 31.0, 120.1, 31.1)).encode(), "not a GeoJSON FeatureCollection"),
        (json.dumps(feature("G1", box(*BOXES["G1"]))).encode(), "FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": {}}', "no list of features"),
    ],
)
def test_a_file_that_is_not_a_feature_collection_is_refused(
    territory, district_officer, content, message
):
    run = check(district_officer, territory.district, content)
    assert run.status == ImportRun.Status.INVALID
    assert [p["row"] for p in run.problems] == [None]
    assert message in run.problems[0]["message"]


def test_only_geojson_files_are_taken(territory, district_officer):
    with pytest.raises(Exception, match="geojson"):
        check(district_officer, territory.district, b"code,name\n", name="boundaries.csv")


def test_community_staff_may_not_redraw_boundaries(territory, community_officer):
    from django.core.exceptions import PermissionDenied

    data = collection(feature("G1", box(*BOXES["G1"])))
    with pytest.raises(PermissionDenied):  # refused at the upload; the hub does not offer it
        check(community_officer, territory.community, data)


def _in_gcj02(bounds) -> dict:
    polygon = geo.wgs84_to_gcj02_geometry(geo.to_geometry(box(*bounds)))
    return geo.as_geojson(polygon)


def test_gcj02_boundaries_are_converted_to_wgs84(territory, district_officer):
    # The territory's boxes as Amap would show them: several hundred metres off.
    data = collection(*(feature(code, _in_gcj02(bounds)) for code, bounds in BOXES.items()))
    shifted = data["features"][0]["geometry"]["coordinates"][0][0]
    assert geo.distance_m(tuple(shifted), (120.0, 31.0)) > 300
    run = check(district_officer, territory.district, data, options={"crs": "GCJ-02"})
    assert run.status == ImportRun.Status.READY, run.problems
    assert run.tallies["features"]["unchanged"] == len(BOXES)


def test_gcj02_taken_for_wgs84_lands_hundreds_of_metres_off(territory, district_officer):
    data = collection(feature("G1", _in_gcj02(BOXES["G1"])))
    run = check(district_officer, territory.district, data)
    # GCJ-02 lies ~450 m east and ~230 m south here: south of its community's edge.
    assert run.status == ImportRun.Status.INVALID
    assert any("beyond" in m and "幸福社区" in m for _r, _v, m in problems_of(run))


def test_a_gcj02_boundary_is_stored_within_half_a_metre_of_its_wgs84_place(
    territory, district_officer
):
    # G1 and its micro-grids redrawn a little smaller on a Chinese map, in one file.
    drawn = {
        "G1": (120.01, 31.01, 120.09, 31.09),
        "G1-M1": (120.01, 31.01, 120.05, 31.09),
        "G1-M2": (120.05, 31.01, 120.09, 31.09),
    }
    data = collection(*(feature(code, _in_gcj02(bounds)) for code, bounds in drawn.items()))
    run = check(district_officer, territory.district, data, options={"crs": "gcj02"})
    assert run.status == ImportRun.Status.READY, run.problems
    assert run.tallies["features"]["updated"] == 3
    assert write(run).status == ImportRun.Status.DONE
    for code, bounds in drawn.items():
        corners = stored(code)["coordinates"][0]
        expected = box(*bounds)["coordinates"][0]
        assert len(corners) == len(expected)
        off = max(
            geo.distance_m(tuple(a), tuple(b)) for a, b in zip(corners, expected, strict=True)
        )
        assert off < 0.5


def test_an_unknown_coordinate_system_is_refused(territory, district_officer):
    data = collection(feature("G1", box(*BOXES["G1"])))
    run = check(district_officer, territory.district, data, options={"crs": "bd09"})
    assert run.status == ImportRun.Status.INVALID
    assert "GCJ-02" in run.problems[0]["message"]


def test_the_template_is_instructions_only(territory):
    workbook = load_workbook(io.BytesIO(services.template_bytes("boundaries", "zh-hans")))
    assert workbook.sheetnames == ["填写说明"]
    text = " ".join(str(c.value) for row in workbook.worksheets[0].iter_rows() for c in row)
    assert "GeoJSON" in text and "GCJ-02" in text


def test_the_commands_export_and_import_a_geojson_file(territory, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "c1.geojson"
    out = io.StringIO()
    call_command("export_data", "boundaries", str(path), "--area", "C1", stdout=out)
    assert json.loads(path.read_text("utf-8"))["features"][0]["properties"]["code"] == "C1"
    out = io.StringIO()
    call_command(
        "import_data",
        "boundaries",
        str(path),
        "--area",
        "C1",
        "--option",
        "crs=wgs84",
        stdout=out,
        verbosity=0,
    )
    assert "5 unchanged" in out.getvalue()
    moved = json.loads(path.read_text("utf-8"))
    moved["features"][-1]["geometry"] = box(120.05, 31.0, 120.2, 31.1)  # G2 into G1
    path.write_text(json.dumps(moved), "utf-8")
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_data", "boundaries", str(path), "--area", "C1", stdout=out)
    assert "row 5" in out.getvalue() and "[G2]" in out.getvalue() and "G1" in out.getvalue()


def test_a_refusal_only_the_write_meets_is_reported_by_feature(
    territory, district_officer, monkeypatch
):
    from django.core.exceptions import ValidationError

    from onboarding.kinds import boundaries

    data = collection(
        feature("G1", box(120.0, 31.0, 120.12, 31.1)),
        feature("G2", box(120.12, 31.0, 120.2, 31.1)),
    )
    run = check(district_officer, territory.district, data, options={"crs": "EPSG:4326"})
    assert run.status == ImportRun.Status.READY, run.problems

    def meanwhile(**kwargs):  # as if a neighbour had been redrawn since the check
        raise ValidationError({"G2": ["The boundary overlaps X."]})

    monkeypatch.setattr(boundaries.grid_services, "update_boundaries", meanwhile)
    done = write(run)
    assert done.status == ImportRun.Status.INVALID
    assert (2, "G2", "The boundary overlaps X.") in problems_of(done)
    assert stored("G1") == box(*BOXES["G1"])
