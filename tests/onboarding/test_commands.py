"""The commands a district's operator runs at the server: the same services as the page."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import call_command

from grids.models import Area
from onboarding.models import ExportRecord, ImportRun

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_the_template_has_chinese_headers_instructions_and_drop_downs(tmp_path):
    path = tmp_path / "areas.xlsx"
    call_command("import_data", "areas", "--template", str(path), stdout=io.StringIO())
    book = openpyxl.load_workbook(path)
    data = book.worksheets[0]
    assert [cell.value for cell in data[1]][:4] == ["编码 *", "名称 *", "层级 *", "上级编码 *"]
    assert data.data_validations.dataValidation  # level, grid kind, dedicated type
    assert "填写说明" in book.sheetnames


def test_an_english_template_reads_back_as_well(tmp_path, territory):
    path = tmp_path / "areas.xlsx"
    call_command(
        "import_data", "areas", "--template", str(path), "--language", "en", stdout=io.StringIO()
    )
    book = openpyxl.load_workbook(path)
    data = book.worksheets[0]
    assert data["A1"].value == "Code *"
    data.append(["N-C1", "New community", "Community", "S1"])
    book.save(path)
    out = io.StringIO()
    call_command("import_data", "areas", str(path), "--area", "S1", stdout=out, verbosity=0)
    assert "1 were created" in out.getvalue()
    assert Area.objects.filter(code="N-C1").exists()


def test_a_refused_row_exits_non_zero_with_the_report_on_stdout(tmp_path, territory):
    path = tmp_path / "bad.csv"
    path.write_bytes("编码,名称,层级,上级编码\nN-G1,新网格,网格,NOWHERE\n".encode("gb18030"))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_data", "areas", str(path), "--area", "S1", stdout=out, verbosity=0)
    assert exit_.value.code == 1
    assert "row 2" in out.getvalue() and "NOWHERE" in out.getvalue()
    assert ImportRun.objects.get().status == ImportRun.Status.INVALID


def test_a_dry_run_writes_nothing(tmp_path, territory):
    path = tmp_path / "good.csv"
    path.write_text("code,name,level,parent\nN-C1,新社区,community,S1\n", encoding="utf-8-sig")
    out = io.StringIO()
    call_command(
        "import_data", "areas", str(path), "--area", "S1", "--dry-run", stdout=out, verbosity=0
    )
    assert "1 would be created" in out.getvalue()
    assert not Area.objects.filter(code="N-C1").exists()


def test_export_data_writes_what_import_data_reads_as_unchanged(tmp_path, territory):
    path = tmp_path / "areas.xlsx"
    call_command("export_data", "areas", str(path), "--area", "S1", stdout=io.StringIO())
    assert ExportRecord.objects.get().by is None
    out = io.StringIO()
    call_command(
        "import_data", "areas", str(path), "--area", "S1", "--dry-run", stdout=out, verbosity=0
    )
    assert "0 would be created, 0 updated" in out.getvalue()


def test_a_run_that_lost_its_message_is_queued_again_and_a_dead_one_is_marked(
    territory, street_officer
):
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from onboarding import services

    data = "code,name,level,parent\nN-C1,新社区,community,S1\n".encode()
    lost = services.start_import(
        by=street_officer,
        area=territory.street,
        kind="areas",
        upload=ContentFile(data, name="a.csv"),
        enqueue=False,
    )
    dead = services.start_import(
        by=street_officer,
        area=territory.street,
        kind="areas",
        upload=ContentFile(data, name="b.csv"),
        enqueue=False,
    )
    ImportRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    ImportRun.objects.filter(pk=dead.pk).update(
        status=ImportRun.Status.CHECKING, created_at=timezone.now() - dt.timedelta(hours=3)
    )
    out = io.StringIO()
    call_command("resume_imports", stdout=out)  # Celery runs eagerly in the tests
    assert "1 checks" in out.getvalue()
    assert ImportRun.objects.get(pk=lost.pk).status == ImportRun.Status.READY
    dead.refresh_from_db()
    assert dead.status == ImportRun.Status.FAILED
    assert "interrupted" in dead.problems[0]["message"]
    call_command("resume_imports", stdout=out)  # again: nothing more happens
    assert ImportRun.objects.get(pk=lost.pk).status == ImportRun.Status.READY
