"""Data onboarding in Chromium on a desk screen, in Chinese: a street officer downloads the
areas template, uploads it with mistakes, reads the problems, uploads the corrected file,
watches the check's progress bar, confirms, loads the grids' boundaries drawn on a Chinese
map (GCJ-02), and finds the new grids on the dashboard's map."""

from __future__ import annotations

import json
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from shapely.geometry import box

from grids import geo
from tests.browser.conftest import DESKTOP, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"  # what open_as types into the login form


def _filled(template_path, rows, path):
    """The downloaded template with ``rows`` typed below its headers, as an officer would."""
    book = load_workbook(template_path)
    sheet = book["区域"]
    for number, row in enumerate(rows, 2):  # the template's rows are formatted, not empty
        for column, value in enumerate(row, 1):
            sheet.cell(number, column, value)
    book.save(path)
    return path


def test_a_street_officer_imports_grids_from_the_template(
    street_officer, territory, open_as, shoot, live_server, tmp_path, monkeypatch
):
    from onboarding import engine, services
    from onboarding.models import ImportRun

    street_officer.set_password(PASSWORD)
    street_officer.save()
    page = open_as("street_officer", locale="zh-CN", viewport=DESKTOP)
    page.goto(f"{live_server.url}/areas/S1/")  # a street lands on its dashboard
    actions = page.locator("main nav.area-sections").first
    # At 1366 px the themes' links wrap whole labels: no link is taller than two lines.
    heights = actions.locator("a").evaluate_all("els => els.map(e => e.offsetHeight)")
    assert heights and max(heights) < 80, heights
    shoot(page, "import-area-page-zh", full_page=False)

    page.locator("main a[href='/areas/S1/import/']").click()
    expect(page).to_have_url(re.compile(r"/areas/S1/import/$"))
    expect(page.locator("table.import-kinds tr[data-kind=areas]")).to_be_visible()
    shoot(page, "import-hub-zh")

    with page.expect_download() as download_info:
        page.locator("a[href='/import/templates/areas.zh.xlsx']").click()
    download = download_info.value
    assert download.suggested_filename == "areas-template-zh.xlsx"
    template = tmp_path / "template.xlsx"
    download.save_as(template)
    headers = [cell.value for cell in load_workbook(template)["区域"][1]]
    assert headers[:4] == ["编码 *", "名称 *", "层级 *", "上级编码 *"]

    # First try: an unknown level, a parent code that does not exist, a name left out.
    bad = _filled(
        template,
        [
            ["S1-G-01", "幸福第三网格", "小区", "C1", "综合网格", ""],
            ["S1-G-02", "幸福第四网格", "网格", "C9", "综合网格", ""],
            ["S1-G-03", "", "网格", "C1", "综合网格", ""],
        ],
        tmp_path / "新网格-有错.xlsx",
    )
    page.set_input_files("input[name=file]", str(bad))
    page.locator("form.import-upload button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/areas/S1/import/\d+/$"))
    problems = page.locator("table.import-problems tbody tr")
    expect(problems).to_have_count(3)
    expect(page.locator("table.import-problems")).to_contain_text("C9")
    expect(page.locator("table.import-problems")).to_contain_text("小区")
    shoot(page, "import-problems-zh")
    with page.expect_download() as report_info:
        page.locator("a[href$='/report']").click()
    report = tmp_path / "report.xlsx"
    report_info.value.save_as(report)
    assert load_workbook(report).sheetnames[0] in ("Problems", "问题清单")

    # Second try, corrected. The check is held back so the page shows its progress bar.
    good = _filled(
        template,
        [
            ["S1-G-01", "幸福第三网格", "网格", "C1", "综合网格", ""],
            ["S1-G-02", "幸福第四网格", "网格", "C1", "综合网格", ""],
            ["S1-G-03", "和平第二网格", "网格", "C2", "综合网格", ""],
        ],
        tmp_path / "新网格.xlsx",
    )
    page.locator("main a[href='/areas/S1/import/']").first.click()
    monkeypatch.setattr(services, "enqueue_on_commit", lambda task, *args: None)
    page.set_input_files("input[name=file]", str(good))
    page.locator("form.import-upload button[type=submit]").click()
    expect(page.locator(".import-progress progress")).to_be_visible()
    monkeypatch.undo()
    run = ImportRun.objects.get(file_name="新网格.xlsx")
    shoot(page, "import-queued-zh", full_page=False)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.CHECKING, stage="checking", progress_done=40, progress_total=100
    )
    # The page asks every second: the bar moves without a reload.
    expect(page.locator(".import-progress progress")).to_have_attribute("value", "40")
    expect(page.locator("[data-progress-text]")).to_contain_text("40")
    shoot(page, "import-progress-zh", full_page=False)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.QUEUED)
    engine.check(run.pk)
    # Checked: the page reloads itself and shows the preview.
    preview = page.locator("table.import-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("[data-count=created]")).to_have_text("3")
    shoot(page, "import-preview-zh")

    page.locator(f"form[action='/areas/S1/import/{run.pk}/confirm'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    shoot(page, "import-done-zh")

    page.locator("main a.btn-party[href='/areas/S1/']").click()
    expect(page).to_have_url(re.compile(r"/areas/S1/$"))
    page.goto(f"{live_server.url}/dashboard/C1/")
    league = page.locator("table.league")
    expect(league).to_contain_text("幸福第三网格")
    expect(league).to_contain_text("幸福第四网格")
    shoot(page, "import-dashboard-c1-zh")
    page.goto(f"{live_server.url}/areas/C2/")
    expect(page.locator("main .list-group")).to_contain_text("和平第二网格")
    shoot(page, "import-area-c2-zh", full_page=False)
    assert not page.errors, page.errors

    # The surveying office drew 和平社区's two grids on Amap (GCJ-02): one file moves G3's
    # edge and gives the new grid the other half, judged as one final state.
    west = geo.as_geojson(geo.wgs84_to_gcj02_geometry(box(120.0, 31.1, 120.1, 31.2)))
    east = geo.as_geojson(geo.wgs84_to_gcj02_geometry(box(120.1, 31.1, 120.2, 31.2)))
    drawn = tmp_path / "和平社区网格边界.geojson"
    drawn.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"编码": "G3", "名称": "和平第一网格"},
                        "geometry": west,
                    },
                    {
                        "type": "Feature",
                        "properties": {"编码": "S1-G-03", "名称": "和平第二网格"},
                        "geometry": east,
                    },
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    page.goto(f"{live_server.url}/areas/S1/import/")
    page.select_option(".import-upload select[name=kind]", "boundaries")
    expect(page.locator("[data-options-for=boundaries]")).to_be_visible()
    expect(page.locator("[data-options-for=areas]")).to_be_hidden()
    page.select_option("select[name=boundaries__crs]", "gcj02")
    page.set_input_files("input[name=file]", str(drawn))
    shoot(page, "import-boundaries-form-zh", full_page=False)
    page.locator("form.import-upload button[type=submit]").click()
    preview = page.locator("table.import-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("[data-count=updated]")).to_have_text("2")
    shoot(page, "import-boundaries-preview-zh")
    page.locator("form[action$='/confirm'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto(f"{live_server.url}/dashboard/C2/")
    page.locator("#dash-charts").scroll_into_view_if_needed()  # the charts load when near
    dash_map = page.locator("#dash-map svg")
    expect(dash_map).to_contain_text("和平第一网格")
    expect(dash_map).to_contain_text("和平第二网格")
    shoot(page, "import-dashboard-map-c2-zh")
    assert not page.errors, page.errors

    # A desk page, but the problems still read on a phone.
    phone = open_as("street_officer", locale="zh-CN")
    bad_run = ImportRun.objects.get(file_name="新网格-有错.xlsx")
    phone.goto(f"{live_server.url}/areas/S1/import/{bad_run.pk}/")
    expect(phone.locator("table.import-problems tbody tr")).to_have_count(3)
    assert no_horizontal_scroll(phone)
    shoot(phone, "import-problems-phone-zh")
    phone.goto(f"{live_server.url}/areas/S1/import/")
    assert no_horizontal_scroll(phone)
    shoot(phone, "import-hub-phone-zh")
    assert not phone.errors, phone.errors
