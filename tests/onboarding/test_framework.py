"""The import framework itself (onboarding/files.py, engine.py, services.py) through the areas
kind: hostile files refused with a clear message, every problem reported, nothing written
until the whole file passes, the same file twice a no-op, templates and reports as promised."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from grids.models import Area
from onboarding import engine, files, services
from onboarding.models import ExportRecord, ImportRun
from tests.onboarding.books import (
    AREA_HEADER_ZH,
    BAD,
    GOOD,
    csv_text,
    upload,
    with_entities,
    workbook,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
S = ImportRun.Status


def checked(by, area, data: bytes, name: str = "areas.xlsx", language: str = "en"):
    run = services.start_import(
        by=by, area=area, kind="areas", upload=upload(data, name), language=language, enqueue=False
    )
    engine.check(run.pk)
    run.refresh_from_db()
    return run


def written(by, run: ImportRun) -> ImportRun:
    services.confirm_import(by=by, run=run)
    engine.write(run.pk)
    run.refresh_from_db()
    return run


def messages(run: ImportRun) -> list[str]:
    return [problem["message"] for problem in run.problems]


# --- What an import does -----------------------------------------------------------------------


def test_a_good_file_is_previewed_then_written(street_officer, territory):
    run = checked(street_officer, territory.street, workbook(GOOD))
    assert run.status == S.READY
    assert run.tallies["areas"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert not Area.objects.filter(code__startswith="G-NEW").exists()  # a check writes nothing
    run = written(street_officer, run)
    assert run.status == S.DONE and run.confirmed_by == street_officer and run.seconds is not None
    names = dict(Area.objects.filter(code__startswith="G-NEW").values_list("code", "name"))
    assert names == {"G-NEW-1": "新建第一网格", "G-NEW-2": "新建第二网格"}
    assert Area.objects.get_parent(Area.objects.get(code="G-NEW-1")) == territory.community


def test_a_file_with_problems_reports_each_and_writes_nothing(street_officer, territory):
    run = checked(street_officer, territory.street, workbook(BAD))
    assert run.status == S.INVALID
    assert run.problem_count == 3, run.problems
    where = {(p["row"], p["column"]) for p in run.problems}
    assert where == {(2, "Level"), (3, "Parent code"), (4, "Name")}
    assert run.report
    assert not Area.objects.filter(code__startswith="G-NEW").exists()


def test_a_second_confirm_changes_nothing(street_officer, territory):
    run = written(street_officer, checked(street_officer, territory.street, workbook(GOOD)))
    finished = run.finished_at
    with pytest.raises(ValidationError):  # the page shows it as a message
        services.confirm_import(by=street_officer, run=run)
    assert engine.write(run.pk) is None
    run.refresh_from_db()
    assert run.status == S.DONE and run.finished_at == finished
    assert Area.objects.filter(code__startswith="G-NEW").count() == 2


def test_a_run_with_problems_cannot_be_confirmed(street_officer, territory):
    run = checked(street_officer, territory.street, workbook(BAD))
    with pytest.raises(ValidationError):
        services.confirm_import(by=street_officer, run=run)


def test_the_same_file_again_leaves_everything_unchanged(street_officer, territory):
    written(street_officer, checked(street_officer, territory.street, workbook(GOOD)))
    again = checked(street_officer, territory.street, workbook(GOOD))
    assert again.status == S.READY
    assert again.tallies["areas"] == {"created": 0, "updated": 0, "unchanged": 2}


def test_a_check_runs_once_however_often_the_task_is_delivered(street_officer, territory):
    run = checked(street_officer, territory.street, workbook(GOOD))
    assert engine.check(run.pk) is None  # a retried task finds it claimed


def test_an_import_is_audited_with_the_files_hash(street_officer, territory):
    data = workbook(GOOD)
    run = checked(street_officer, territory.street, data)
    import hashlib

    assert run.file_sha256 == hashlib.sha256(data).hexdigest()
    assert run.file_size == len(data) and run.created_by == street_officer


def test_a_row_outside_the_importers_area_is_refused(street_officer, territory):
    rows = [["G-FAR", "远方网格", "grid", "C3", "comprehensive", ""]]  # C3 lies in S2
    run = checked(street_officer, territory.street, workbook(rows))
    assert run.status == S.INVALID
    assert "outside" in messages(run)[0]


def test_an_officer_cannot_start_an_import_outside_their_scope(street_officer, territory):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.start_import(
            by=street_officer,
            area=territory.other_street,
            kind="areas",
            upload=upload(workbook(GOOD)),
            enqueue=False,
        )


# --- Hostile and awkward files -----------------------------------------------------------------


def test_a_file_of_another_type_is_refused_before_it_is_kept(street_officer, territory):
    with pytest.raises(ValidationError) as refused:
        services.start_import(
            by=street_officer,
            area=territory.street,
            kind="areas",
            upload=upload(b"MZ\x90\x00", "areas.exe"),
            enqueue=False,
        )
    assert "file" in refused.value.message_dict
    assert not ImportRun.objects.exists()


def test_a_file_over_the_size_cap_is_refused(street_officer, territory, settings):
    settings.IMPORT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        services.start_import(
            by=street_officer,
            area=territory.street,
            kind="areas",
            upload=upload(b"x" * 2048, "areas.csv"),
            enqueue=False,
        )
    assert "largest accepted" in refused.value.message_dict["file"][0]


def test_a_password_protected_workbook_gets_a_clear_message(street_officer, territory):
    ole = files.OLE_MAGIC + b"\x00" * 600
    run = checked(street_officer, territory.street, ole)
    assert run.status == S.INVALID
    assert "password-protected" in messages(run)[0]


def test_a_corrupt_zip_gets_a_clear_message(street_officer, territory):
    run = checked(street_officer, territory.street, workbook(GOOD)[:300])
    assert run.status == S.INVALID
    assert "damaged" in messages(run)[0]


def test_a_workbook_that_unpacks_too_large_is_refused(street_officer, territory, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 2048
    run = checked(street_officer, territory.street, workbook(GOOD))
    assert run.status == S.INVALID
    assert "unpacks to more" in messages(run)[0]


def test_a_formula_is_reported_not_evaluated(street_officer, territory):
    rows = [["G-NEW-1", '=HYPERLINK("http://example.invalid","x")', "grid", "C1", "comprehensive"]]
    run = checked(street_officer, territory.street, workbook(rows))
    assert run.status == S.INVALID
    assert run.problems[0]["column"] == "Name"
    assert "Formulas are not imported" in run.problems[0]["message"]
    assert run.problems[0]["value"].startswith("=HYPERLINK")


def test_an_entity_expansion_workbook_is_refused_with_a_message(street_officer, territory):
    run = checked(street_officer, territory.street, with_entities(workbook(GOOD)))
    assert run.status == S.INVALID
    assert "damaged" in messages(run)[0]
    assert not Area.objects.filter(code__startswith="G-NEW").exists()


def test_a_gb18030_csv_with_chinese_headers_imports(street_officer, territory):
    data = csv_text(GOOD, AREA_HEADER_ZH).encode("gb18030")
    run = checked(street_officer, territory.street, data, "区域.csv")
    assert run.status == S.READY, run.problems
    assert written(street_officer, run).status == S.DONE
    assert Area.objects.get(code="G-NEW-2").name == "新建第二网格"


def test_a_utf8_csv_with_excels_bom_imports(street_officer, territory):
    data = ("\ufeff" + csv_text(GOOD)).encode("utf-8")
    run = checked(street_officer, territory.street, data, "areas.csv")
    assert run.status == S.READY, run.problems
    assert run.tallies["areas"]["created"] == 2


def test_a_long_number_excel_has_rounded_is_reported(street_officer, territory):
    rows = [[110101199001011234, "长编码网格", "grid", "C1", "comprehensive"]]
    run = checked(street_officer, territory.street, workbook(rows))
    assert run.status == S.INVALID
    assert run.problems[0]["column"] == "Code"
    assert "rounded this long number" in run.problems[0]["message"]


def test_a_workbook_without_the_sheet_or_headers_says_what_is_missing(street_officer, territory):
    run = checked(street_officer, territory.street, workbook([["x"]], header=["Something"]))
    assert run.status == S.INVALID
    missing = {p["column"] for p in run.problems if "missing" in p["message"]}
    assert missing == {"Code", "Name", "Level", "Parent code"}


# --- Reports, templates and exports ------------------------------------------------------------


def test_the_report_lists_the_problems_and_marks_the_rows(street_officer, territory):
    run = checked(street_officer, territory.street, workbook(BAD))
    book = load_workbook(run.report.open("rb"))
    assert book.sheetnames[0] == "Problems"
    problems = list(book["Problems"].iter_rows(values_only=True))
    assert problems[0] == ("Sheet", "Row", "Column", "Value", "Problem")
    assert {(row[1], row[2]) for row in problems[1:]} == {
        (2, "Level"),
        (3, "Parent code"),
        (4, "Name"),
    }
    data = list(book["Areas"].iter_rows(values_only=True))
    assert data[0][0] == "Errors" and data[0][1:7] == (
        "Code",
        "Name",
        "Level",
        "Parent code",
        "Grid kind",
        "Dedicated type",
    )
    assert data[1][0].startswith("Level:") and data[2][0].startswith("Parent code:")


def test_more_problems_than_the_page_keeps_are_all_in_the_report(street_officer, territory):
    rows = [[f"G-X{n}", f"网格{n}", "nonsense", "C1", "comprehensive"] for n in range(250)]
    run = checked(street_officer, territory.street, workbook(rows))
    assert run.problem_count == 250 and len(run.problems) == engine.PROBLEMS_KEPT
    book = load_workbook(run.report.open("rb"), read_only=True)
    assert len(list(book["Problems"].iter_rows(values_only=True))) == 251


def test_the_chinese_template_has_headers_instructions_and_drop_downs():
    book = load_workbook(io.BytesIO(services.template_bytes("areas", "zh-hans")))
    assert book.sheetnames[0] == "区域" and "填写说明" in book.sheetnames
    sheet = book["区域"]
    headers = [cell.value for cell in sheet[1]]
    assert headers == ["编码 *", "名称 *", "层级 *", "上级编码 *", "网格类型", "专属网格类别"]
    ranges = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert "C2:C1001" in ranges and "E2:E1001" in ranges
    assert sheet["A2"].number_format == "@"  # codes are text
    explained = {row[:2] for row in book["填写说明"].iter_rows(values_only=True)}
    assert {("区域", "编码"), ("区域", "层级"), ("区域", "上级编码")} <= explained


def test_the_english_template_is_accepted_as_it_is_filled(street_officer, territory):
    book = load_workbook(io.BytesIO(services.template_bytes("areas", "en")))
    sheet = book["Areas"]
    for row in GOOD:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    run = checked(street_officer, territory.street, out.getvalue())
    assert run.status == S.READY, run.problems
    assert run.tallies["areas"]["created"] == 2


def test_export_then_import_changes_nothing_and_is_recorded(street_officer, territory):
    data, record = services.export_bytes(
        by=street_officer, area=territory.street, kind="areas", remote_addr="10.0.0.1"
    )
    assert record.rows == 7  # C1, C2, G1, G2, G3 and G1's two micro-grids
    assert ExportRecord.objects.get().by == street_officer
    run = checked(street_officer, territory.street, data)
    assert run.status == S.READY, run.problems
    assert run.tallies["areas"] == {"created": 0, "updated": 0, "unchanged": 7}


def test_the_checks_tasks_run_on_the_imports_queue():
    from governance.celery import app
    from onboarding.tasks import check_import, write_import

    for task in (check_import, write_import):
        assert app.amqp.router.route({}, task.name)["queue"].name == "imports"


def test_an_upload_queues_its_check_once_committed(
    street_officer, territory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = services.start_import(
            by=street_officer, area=territory.street, kind="areas", upload=upload(workbook(GOOD))
        )
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == S.READY  # CELERY_TASK_ALWAYS_EAGER in the tests


def test_an_empty_workbook_sheet_reads_as_nothing_to_import(street_officer, territory):
    book = Workbook()
    book.active.title = "Areas"
    out = io.BytesIO()
    book.save(out)
    run = checked(street_officer, territory.street, out.getvalue())
    assert run.status == S.INVALID  # no headers: every required column is missing
