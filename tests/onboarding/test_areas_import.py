"""Areas from a workbook: checked in full, written only when every row passes, keyed by the
permanent code, and never outside the importer's own area."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.base import ContentFile

from grids.models import Area
from onboarding import engine, services
from onboarding.models import ImportRun

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ZH_HEADER = ["编码", "名称", "层级", "上级编码", "网格类型", "专属网格类别"]


def workbook(*rows, header=ZH_HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check(by, area, data: bytes, name="areas.xlsx") -> ImportRun:
    run = services.start_import(
        by=by, area=area, kind="areas", upload=ContentFile(data, name=name), enqueue=False
    )
    return engine.check(run.pk)


def check_and_write(by, area, data: bytes) -> ImportRun:
    run = check(by, area, data)
    assert run.status == ImportRun.Status.READY, run.problems
    services.confirm_import(by=by, run=run)
    return engine.write(run.pk)


GOOD = (
    ("N-C1", "新社区", "社区", "S1", "", ""),
    ("N-G1", "新网格一", "网格", "N-C1", "综合网格", ""),
    ("N-G2", "New grid two", "grid", "N-C1", "dedicated", "school"),
)


def test_a_street_officer_creates_communities_and_grids_under_the_street(territory, street_officer):
    # The children come before their parent in the file: order does not matter.
    run = check_and_write(street_officer, territory.street, workbook(*reversed(GOOD)))
    assert run.status == ImportRun.Status.DONE
    assert run.tallies == {"areas": {"created": 3, "updated": 0, "unchanged": 0}}
    grid = Area.objects.get(code="N-G2")
    assert Area.objects.get_parent(grid).code == "N-C1"
    assert (grid.grid_kind, grid.dedicated_type) == ("dedicated", "school")
    assert Area.objects.get_parent(Area.objects.get(code="N-C1")) == territory.street


def test_the_same_file_again_changes_nothing_and_a_corrected_one_updates_by_code(
    territory, street_officer
):
    check_and_write(street_officer, territory.street, workbook(*GOOD))
    again = check(street_officer, territory.street, workbook(*GOOD))
    assert again.tallies == {"areas": {"created": 0, "updated": 0, "unchanged": 3}}
    renamed = [list(row) for row in GOOD]
    renamed[1][1] = "幸福网格"
    run = check_and_write(street_officer, territory.street, workbook(*renamed))
    assert run.tallies == {"areas": {"created": 0, "updated": 1, "unchanged": 2}}
    assert Area.objects.filter(code="N-G1").values_list("name", flat=True).get() == "幸福网格"
    assert Area.objects.filter(code__startswith="N-").count() == 3


def test_every_bad_cell_is_reported_and_nothing_is_written(territory, street_officer):
    rows = (
        ("N-C1", "新社区", "社区", "S1", "", ""),
        ("bad code!", "坏编码", "网格", "N-C1", "综合网格", ""),  # code
        ("N-G2", "", "网格", "N-C1", "综合网格", ""),  # name
        ("N-G3", "层级错", "星球", "N-C1", "综合网格", ""),  # level
        ("N-G4", "无上级", "网格", "NOWHERE", "综合网格", ""),  # parent
        ("N-G5", "类型错", "网格", "N-C1", "半网格", ""),  # grid kind
        ("N-G6", "专属错", "网格", "N-C1", "专属网格", "月球"),  # dedicated type
        ("N-C1", "重复", "社区", "S1", "", ""),  # the same code twice
    )
    run = check(street_officer, territory.street, workbook(*rows))
    assert run.status == ImportRun.Status.INVALID
    located = {(problem["row"], problem["column"]) for problem in run.problems}
    assert {
        (3, "Code"),
        (4, "Name"),
        (5, "Level"),
        (6, "Parent code"),
        (7, "Grid kind"),
        (8, "Dedicated type"),
        (9, "Code"),
    } <= located
    assert run.report  # the marked-up workbook
    with run.report.open("rb") as handle:
        report = openpyxl.load_workbook(handle, read_only=True)
        assert "Problems" in report.sheetnames
    assert not Area.objects.filter(code__startswith="N-").exists()


def test_a_row_outside_the_importers_area_is_refused(territory, street_officer):
    # C3 belongs to the other street; G4 is an existing area there.
    run = check(
        street_officer,
        territory.street,
        workbook(
            ("N-G9", "越界", "网格", "C3", "综合网格", ""),
            ("G4", "改名", "网格", "C3", "综合网格", ""),
        ),
    )
    assert run.status == ImportRun.Status.INVALID
    messages = " ".join(problem["message"] for problem in run.problems)
    assert "outside" in messages
    assert Area.objects.get(code="G4").name != "改名"


def test_an_import_does_not_move_areas(territory, street_officer):
    run = check(
        street_officer, territory.street, workbook(("G3", "第3网格", "网格", "C1", "综合网格", ""))
    )
    assert run.status == ImportRun.Status.INVALID
    assert "does not move" in run.problems[0]["message"]


def test_a_level_that_does_not_fit_under_its_parent_is_refused(territory, street_officer):
    run = check(
        street_officer, territory.street, workbook(("N-G1", "网格", "网格", "S1", "综合网格", ""))
    )
    assert run.status == ImportRun.Status.INVALID
    assert run.problems[0]["column"] == "Level"


def test_workers_and_community_staff_cannot_lay_out_areas(territory, own_worker, community_officer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        check(own_worker, territory.grid, workbook(*GOOD))
    # Community staff may import (households, members…) but not lay out areas.
    with pytest.raises(PermissionDenied):
        check(
            community_officer,
            territory.community,
            workbook(("N-G1", "新网格", "网格", "C1", "综合网格", "")),
        )


def test_export_then_import_is_a_no_op(territory, district_officer):
    data, record = services.export_bytes(
        by=district_officer, area=territory.district, kind="areas", language="zh-hans"
    )
    assert record.rows == Area.objects.count() - 1
    run = check(district_officer, territory.district, data)
    assert run.status == ImportRun.Status.READY
    assert run.tallies["areas"] == {"created": 0, "updated": 0, "unchanged": record.rows}


def test_checking_takes_the_same_queries_for_one_row_and_fifty(
    territory, street_officer, django_assert_max_num_queries
):
    one = workbook(("N-C1", "新社区", "社区", "S1", "", ""))
    many = workbook(
        ("N-C1", "新社区", "社区", "S1", "", ""),
        *((f"N-G{i}", f"网格{i}", "网格", "N-C1", "综合网格", "") for i in range(49)),
    )
    for data in (one, many):
        run = services.start_import(
            by=street_officer,
            area=territory.street,
            kind="areas",
            upload=ContentFile(data, name="a.xlsx"),
            enqueue=False,
        )
        with django_assert_max_num_queries(12):
            engine.check(run.pk)
