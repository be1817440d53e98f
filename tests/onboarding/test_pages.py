"""The import pages: who reaches them, upload → problems or preview → confirm → done, the
downloads, and hostile files answered on the page (never a 500)."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from grids.models import Area
from onboarding import files
from onboarding.models import ImportRun
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


@pytest.fixture
def officer(client, street_officer):
    client.force_login(street_officer)
    return street_officer


@pytest.fixture
def send(client, territory, django_capture_on_commit_callbacks):
    """Upload a file on S1's hub; the check runs when the upload commits (eager Celery)."""

    def post(data: bytes, name: str = "areas.xlsx", kind: str = "areas", code: str = "S1"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("import_hub", args=[code]), {"kind": kind, "file": upload(data, name)}
            )
        if response.status_code != 302:
            return response
        return client.get(response["Location"])

    return post


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    """Press "Import"; the write runs when the confirmation commits (eager Celery)."""

    def post(run: ImportRun, code: str = "S1"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("import_confirm", args=[code, run.pk]))
        assert response.status_code == 302
        return client.get(response["Location"])

    return post


def hub_url(code: str = "S1") -> str:
    return reverse("import_hub", args=[code])


def run_of(response) -> ImportRun:
    return response.context["run"]


# --- Who reaches the pages --------------------------------------------------------------------


def test_a_street_officer_sees_the_kinds_they_may_import(client, officer, territory):
    response = client.get(hub_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "areas" in [kind.name for kind, _template, _export in response.context["kinds"]]
    assert '<option value="areas">Areas</option>' in body
    assert reverse("import_template", args=["areas", "zh"]) in body
    assert reverse("import_template", args=["areas", "en"]) in body
    assert reverse("import_export", args=["S1", "areas"]) in body
    assert 'name="file"' in body and 'enctype="multipart/form-data"' in body


def test_a_grid_worker_meets_a_404(client, own_worker, territory):
    client.force_login(own_worker)
    assert client.get(hub_url("G1")).status_code == 404
    assert client.get(hub_url("C1")).status_code == 404


def test_another_streets_area_is_a_404(client, officer, territory):
    assert client.get(hub_url("S2")).status_code == 404
    assert client.get(hub_url("nowhere")).status_code == 404


def test_a_run_of_another_area_is_a_404(client, officer, import_run):
    assert import_run.area.code == "C1"
    ok = reverse("import_run", args=["C1", import_run.pk])
    assert client.get(ok).status_code == 200
    for code in ("S1", "C2", "G1"):
        assert client.get(reverse("import_run", args=[code, import_run.pk])).status_code == 404
        assert client.get(reverse("import_report", args=[code, import_run.pk])).status_code == 404


def test_another_streets_officer_cannot_reach_the_run(client, other_street_officer, import_run):
    client.force_login(other_street_officer)
    assert client.get(reverse("import_run", args=["C1", import_run.pk])).status_code == 404
    assert client.post(reverse("import_confirm", args=["C1", import_run.pk])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, territory):
    response = client.get(hub_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_area_page_links_to_the_hub_only_for_those_who_may_import(
    client, street_officer, own_worker, territory
):
    client.force_login(street_officer)
    body = client.get(reverse("area_detail", args=["S1"])).content.decode()
    assert hub_url("S1") in body
    # Under its theme, not squeezed into one row of buttons a letter a line.
    settings = body[body.index('id="section-settings"') :]
    assert hub_url("S1") in settings[: settings.index("</details>")]
    client.force_login(own_worker)
    body = client.get(reverse("area_detail", args=["G1"])).content.decode()
    assert "/import/" not in body


# --- Upload, problems, preview, confirm ------------------------------------------------------


def test_an_upload_with_errors_shows_the_problems_and_the_report(client, officer, send):
    response = send(workbook(BAD))
    run = run_of(response)
    assert run.status == S.INVALID
    body = response.content.decode()
    assert "3 problems were found. Nothing was imported." in body
    for value, message in (
        ("village-ish", "Not one of the allowed values"),
        ("NOWHERE", "No area has this code"),
        ("", "This cell is required."),
    ):
        assert message in body and value in body
    report = client.get(reverse("import_report", args=["S1", run.pk]))
    assert report.status_code == 200
    assert report["Cache-Control"] == "private, no-store"
    book = load_workbook(io.BytesIO(b"".join(report.streaming_content)))
    problems = list(book["Problems"].iter_rows(values_only=True))[1:]
    assert {(row[1], row[2]) for row in problems} == {(2, "Level"), (3, "Parent code"), (4, "Name")}
    marked = list(book["Areas"].iter_rows(values_only=True))
    assert marked[0][0] == "Errors" and marked[1][0].startswith("Level:")
    assert not Area.objects.filter(code__startswith="G-NEW").exists()


def test_a_good_file_previews_then_imports_once(client, officer, send, confirm, territory):
    response = send(workbook(GOOD))
    run = run_of(response)
    assert run.status == S.READY
    body = response.content.decode()
    assert 'data-count="created">2<' in body
    assert reverse("import_confirm", args=["S1", run.pk]) in body
    assert not Area.objects.filter(code__startswith="G-NEW").exists()

    response = confirm(run)
    run.refresh_from_db()
    assert run.status == S.DONE and run.confirmed_by == officer
    body = response.content.decode()
    assert "Imported: 2 created, 0 updated, 0 unchanged." in body
    assert reverse("area_detail", args=["S1"]) in body
    assert set(Area.objects.filter(code__startswith="G-NEW").values_list("name", flat=True)) == {
        "新建第一网格",
        "新建第二网格",
    }
    # A second click: a message, nothing written again.
    finished = run.finished_at
    again = confirm(run)
    assert again.status_code == 200
    assert "not waiting to be written" in again.content.decode()
    run.refresh_from_db()
    assert run.finished_at == finished
    assert Area.objects.filter(code__startswith="G-NEW").count() == 2


def test_the_same_file_again_is_all_unchanged(client, officer, send, confirm):
    confirm(run_of(send(workbook(GOOD))))
    response = send(workbook(GOOD))
    assert run_of(response).tallies["areas"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert "importing it changes nothing" in response.content.decode()


def test_export_then_import_through_the_pages_changes_nothing(client, officer, send):
    exported = client.get(reverse("import_export", args=["S1", "areas"]))
    assert exported.status_code == 200
    assert exported["Content-Disposition"].startswith('attachment; filename="areas-S1-')
    run = run_of(send(exported.content, "areas-S1.xlsx"))
    assert run.status == S.READY, run.problems
    assert run.tallies["areas"] == {"created": 0, "updated": 0, "unchanged": 7}


def test_the_recent_imports_list_this_area_and_below(client, officer, send, import_run):
    send(workbook(BAD), "bad.xlsx")
    body = client.get(hub_url()).content.decode()
    assert "bad.xlsx" in body and "3 problems" in body
    assert reverse("import_run", args=["C1", import_run.pk]) in body  # C1 lies in S1
    body = client.get(hub_url("C2")).content.decode()
    assert "bad.xlsx" not in body and "areas.xlsx" not in body


# --- Hostile and awkward files, answered on the page -------------------------------------------


def test_a_wrong_extension_is_a_form_error(client, officer, send):
    response = send(b"MZ\x90\x00", "areas.exe")
    assert response.status_code == 200
    assert "Only .xlsx, .csv and .geojson files can be imported." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_file_over_the_size_cap_is_a_form_error(client, officer, send, settings):
    settings.IMPORT_MAX_BYTES = 2048
    response = send(workbook(GOOD))
    assert response.status_code == 200
    assert "the largest accepted is" in response.content.decode()
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (files.OLE_MAGIC + b"\x00" * 512, "areas.xlsx", "password-protected"),
        (b"PK\x03\x04" + b"\x00" * 200, "areas.xlsx", "damaged"),
        (b"\x00\x01\x02binary", "areas.csv", "not a text file"),
    ],
    ids=["ole-or-encrypted", "corrupt-zip", "binary-csv"],
)
def test_an_unreadable_file_is_reported_on_the_run_page(client, officer, send, data, name, message):
    response = send(data, name)
    assert response.status_code == 200
    assert run_of(response).status == S.INVALID
    assert message in response.content.decode()


def test_a_workbook_unpacking_too_large_is_reported(client, officer, send, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 2048
    response = send(workbook(GOOD))
    assert "unpacks to more than the largest accepted size" in response.content.decode()


def test_an_entity_expansion_workbook_gets_a_message_not_a_500(client, officer, send):
    response = send(with_entities(workbook(GOOD)))
    assert response.status_code == 200
    assert run_of(response).status == S.INVALID
    assert "The workbook is damaged and cannot be opened." in response.content.decode()


def test_a_formula_cell_is_reported_not_evaluated(client, officer, send):
    response = send(workbook([["G-NEW-1", "=1+1", "grid", "C1", "comprehensive"]]))
    body = response.content.decode()
    assert "Formulas are not imported" in body and "=1+1" in body


def test_a_long_number_excel_rounded_is_reported(client, officer, send):
    response = send(workbook([[320412199001011234, "长编码网格", "grid", "C1", "comprehensive"]]))
    assert "Excel has rounded this long number" in response.content.decode()


def test_a_gb18030_csv_with_chinese_headers_imports(client, officer, send, confirm):
    data = csv_text(GOOD, AREA_HEADER_ZH).encode("gb18030")
    run = run_of(send(data, "网格.csv"))
    assert run.status == S.READY, run.problems
    confirm(run)
    assert Area.objects.filter(code__in=["G-NEW-1", "G-NEW-2"]).count() == 2


def test_a_utf8_bom_csv_imports(client, officer, send):
    run = run_of(send(("\ufeff" + csv_text(GOOD)).encode("utf-8"), "areas.csv"))
    assert run.status == S.READY, run.problems


# --- Downloads ---------------------------------------------------------------------------------


def test_the_chinese_template_downloads_with_instructions_and_drop_downs(client, officer):
    response = client.get(reverse("import_template", args=["areas", "zh"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="areas-template-zh.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:2] == ["区域", "填写说明"] or "填写说明" in book.sheetnames
    headers = [cell.value for cell in book["区域"][1]]
    assert headers[:4] == ["编码 *", "名称 *", "层级 *", "上级编码 *"]
    assert book["区域"].data_validations.dataValidation


def test_an_unknown_template_is_a_404(client, officer):
    assert client.get(reverse("import_template", args=["nothing", "zh"])).status_code == 404
    assert client.get(reverse("import_template", args=["areas", "fr"])).status_code == 404


def test_an_unknown_kind_to_export_is_a_404(client, officer, territory):
    assert client.get(reverse("import_export", args=["S1", "nothing"])).status_code == 404


# --- Progress ------------------------------------------------------------------------------------


def test_a_run_being_checked_shows_its_progress_bar(client, officer, import_run):
    ImportRun.objects.filter(pk=import_run.pk).update(
        status=S.CHECKING, stage="checking", progress_done=40, progress_total=100
    )
    response = client.get(reverse("import_run", args=["C1", import_run.pk]))
    body = response.content.decode()
    assert re.search(r'<progress class="w-100" max="100" value="40"', body)
    assert "Checking the rows: 40 of 100 rows (40%)" in body
    assert reverse("import_progress", args=["C1", import_run.pk]) in body
    assert "js/imports.js" in body
    # Without script, a link to look again (no meta refresh).
    assert "data-progress-refresh" in body and "http-equiv" not in body
    assert reverse("import_confirm", args=["C1", import_run.pk]) not in body

    progress = client.get(reverse("import_progress", args=["C1", import_run.pk])).json()
    assert progress == {
        "status": "checking",
        "label": "Checking",
        "busy": True,
        "stage": "checking",
        "done": 40,
        "total": 100,
        "percent": 40,
        "text": "Checking the rows: 40 of 100 rows (40%)",
    }


def test_a_queued_run_shows_a_bar_without_a_figure(client, officer, import_run):
    ImportRun.objects.filter(pk=import_run.pk).update(status=S.QUEUED)
    body = client.get(reverse("import_run", args=["C1", import_run.pk])).content.decode()
    assert '<progress class="w-100" max="100" aria-labelledby' in body  # indeterminate
    assert "Waiting to be checked" in body and "In the queue" in body


def test_a_finished_run_reports_not_busy(client, officer, import_run):
    progress = client.get(reverse("import_progress", args=["C1", import_run.pk])).json()
    assert progress["busy"] is False and progress["status"] == "ready"


# --- Queries -------------------------------------------------------------------------------------


def _runs(count: int, area, by):
    ImportRun.objects.bulk_create(
        ImportRun(
            kind="areas",
            area=area,
            created_by=by,
            created_at=timezone.now(),
            file_name=f"file-{n}.xlsx",
            file_sha256="0" * 64,
            file_size=10,
            status=S.DONE,
            tallies={"areas": {"created": 1, "updated": 0, "unchanged": 0}},
        )
        for n in range(count)
    )


@pytest.mark.parametrize("count", [1, 50])
def test_the_hub_reads_a_fixed_number_of_queries(
    client, officer, territory, count, django_assert_max_num_queries
):
    _runs(count, territory.community, officer)
    client.get(hub_url())  # warm the per-user caches
    with django_assert_max_num_queries(4):
        assert client.get(hub_url()).status_code == 200


@pytest.mark.parametrize("count", [1, 50])
def test_the_run_page_reads_a_fixed_number_of_queries(
    client, officer, territory, import_run, count, django_assert_max_num_queries
):
    _runs(count, territory.community, officer)
    url = reverse("import_run", args=["C1", import_run.pk])
    client.get(url)
    with django_assert_max_num_queries(4):
        assert client.get(url).status_code == 200


# --- Options a kind declares ------------------------------------------------------------------


def test_a_kinds_options_are_asked_on_the_form_and_kept_on_the_run(client, officer, monkeypatch):
    """A kind with options (a GeoJSON's code property and coordinate system, say) gets them
    as fields of the upload form; only the chosen kind's reach the run."""
    from onboarding.kinds import KINDS
    from onboarding.kinds.areas import AreasKind
    from onboarding.spec import Option

    class WithOptions(AreasKind):
        name = "optioned"
        options = (
            Option("code_property", "Code property", default="CODE"),
            Option(
                "crs",
                "Coordinates",
                choices=lambda: [("wgs84", "WGS-84"), ("gcj02", "GCJ-02")],
                default="wgs84",
            ),
        )

    monkeypatch.setitem(KINDS, "optioned", WithOptions())
    body = client.get(hub_url()).content.decode()
    assert 'data-options-for="optioned"' in body
    assert 'name="optioned__crs"' in body and 'name="optioned__code_property"' in body
    response = client.post(
        hub_url(),
        {"kind": "optioned", "file": upload(workbook(GOOD)), "optioned__crs": "gcj02"},
    )
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.kind == "optioned"
    assert run.options == {"code_property": "CODE", "crs": "gcj02"}
    # Another kind's upload carries none of them.
    client.post(hub_url(), {"kind": "areas", "file": upload(workbook(GOOD)), "optioned__crs": "x"})
    assert ImportRun.objects.filter(kind="areas").get().options == {}


def test_a_kind_without_a_workbook_or_an_export_offers_no_link_to_them(
    client, officer, monkeypatch
):
    from onboarding.kinds import KINDS
    from onboarding.spec import Kind

    class Shapes(Kind):
        name = "shapes"
        label = "Shapes"
        formats = ("geojson",)

    monkeypatch.setitem(KINDS, "shapes", Shapes())
    body = client.get(hub_url()).content.decode()
    assert '<tr data-kind="shapes">' in body and ".geojson" in body
    assert reverse("import_export", args=["S1", "shapes"]) not in body
    assert reverse("import_template", args=["shapes", "zh"]) not in body
    assert client.get(reverse("import_export", args=["S1", "shapes"])).status_code == 404
    assert client.get(reverse("import_template", args=["shapes", "zh"])).status_code == 404


def test_the_run_page_says_when_the_report_holds_more_problems(client, officer, import_run):
    kept = [
        {"sheet": "Areas", "row": n, "column": "Level", "value": "x", "message": "Not a level."}
        for n in range(2, 202)
    ]
    ImportRun.objects.filter(pk=import_run.pk).update(
        status=S.INVALID, problems=kept, problem_count=250
    )
    body = client.get(reverse("import_run", args=["C1", import_run.pk])).content.decode()
    assert "250 problems were found. Nothing was imported." in body
    assert "The first 200 of 250 problems; the report holds them all." in body
    assert body.count("Not a level.") == 200
    assert reverse("import_report", args=["C1", import_run.pk]) in body


def test_boundaries_go_out_and_come_back_as_geojson_with_the_coordinate_system_asked(
    client, officer, territory, django_capture_on_commit_callbacks
):
    body = client.get(hub_url()).content.decode()
    assert 'name="boundaries__crs"' in body
    assert reverse("import_template", args=["boundaries", "zh"]) in body  # the instructions
    response = client.get(reverse("import_export", args=["S1", "boundaries"]))
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"].endswith('.geojson"')
    exported = response.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            hub_url(),
            {
                "kind": "boundaries",
                "file": upload(exported, "boundaries.geojson"),
                "boundaries__crs": "wgs84",
            },
        )
    run = ImportRun.objects.get(kind="boundaries")
    assert run.options["crs"] == "wgs84"
    assert run.status == S.READY, run.problems
    assert run.tallies["features"]["updated"] == 0
    assert run.tallies["features"]["unchanged"] > 0
