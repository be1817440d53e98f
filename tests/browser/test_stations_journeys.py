"""Service stations in Debian's Chromium: a resident on a 360 px phone, signed out, finds a
station and its QR poster in English and Chinese; a community officer records an
inspection. Screenshots land in var/screenshots/."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_horizontal_scroll, open_sections

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Inside the demo's first community (湖滨街道 幸福社区), near its grid stations.
HERE = {"latitude": 31.705, "longitude": 119.905}
A4 = {"width": 794, "height": 1123}  # at 96 dpi


def _small_targets(page, selector: str) -> list[str]:
    """Visible elements matching ``selector`` smaller than 44 px in height."""
    return page.eval_on_selector_all(
        selector,
        """els => els.filter(e => e.offsetParent !== null)
                  .filter(e => e.getBoundingClientRect().height < 44)
                  .map(e => e.outerHTML.slice(0, 80))""",
    )


@pytest.fixture
def resident(browser, live_server):
    contexts = []

    def open_phone(locale: str):
        context = browser.new_context(
            viewport=PHONE,
            locale=locale,
            device_scale_factor=1,
            geolocation=HERE,
            permissions=["geolocation"],
        )
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.errors = errors
        return page

    yield open_phone
    for context in contexts:
        context.close()


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_resident_finds_the_nearest_station_and_its_poster_on_a_phone(
    demo, resident, live_server, shoot, locale, lang
):
    page = resident(locale)
    page.goto(f"{live_server.url}/stations/")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".station-row").first).to_be_visible()
    assert no_horizontal_scroll(page)
    assert not _small_targets(page, "main .btn, main .form-control, main .form-select")
    shoot(page, f"resident-directory-{lang}", full_page=False)

    page.locator("#near-me").click()
    expect(page).to_have_url(re.compile(r"lat=31\.705"))
    first = page.locator(".station-row").first
    expect(first.locator(".badge").first).to_contain_text(re.compile(r"\d"))
    assert no_horizontal_scroll(page)
    shoot(page, f"resident-nearest-{lang}", full_page=False)

    name = first.locator(".fw-semibold").inner_text()
    page.fill("input[name=q]", name[:4])
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator(".station-row").first).to_contain_text(name[:4])

    page.locator(".station-row").first.click()
    expect(page.locator("h1")).to_contain_text(name[:4])
    expect(page.locator("svg.station-map circle")).to_be_visible()
    body = page.locator("main").inner_text()
    assert not re.search(r"1[3-9]\d{9}", body.replace(" ", "")), "a mobile number is shown"
    assert no_horizontal_scroll(page)
    shoot(page, f"resident-station-{lang}")

    page.locator("a[href$='/poster/']").first.click()
    expect(page.locator(".poster svg.segno")).to_be_visible()
    assert no_horizontal_scroll(page)
    shoot(page, f"resident-poster-{lang}")
    page.set_viewport_size(A4)
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("[data-print]")).to_be_hidden()
    shoot(page, f"resident-poster-print-{lang}")
    page.emulate_media(media="screen")
    page.set_viewport_size(PHONE)

    # The poster's link opens the residents' request form (tests/browser/test_resident_journey.py).
    page.goto(f"{live_server.url}/r/QH-S01-C01-G01/")
    expect(page.locator("select[name=matter]")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("网格")
    assert no_horizontal_scroll(page)
    assert not page.errors, page.errors


def _photo() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (183, 28, 28)).save(buffer, "JPEG")
    return {"name": "sign.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_community_officer_records_an_inspection_on_a_phone(demo, open_as, shoot, locale, lang):
    page = open_as("community", locale=locale)
    page.goto(page.url.split("/tickets/")[0] + "/areas/QH-S01-C01/")  # it lands on its board
    open_sections(page)
    page.locator("a[href$='/stations/']").first.click()
    expect(page).to_have_url(re.compile(r"/areas/QH-S01-C01/stations/$"))
    assert no_horizontal_scroll(page)
    shoot(page, f"officer-stations-{lang}", full_page=False)

    page.locator("a[href='/manage/stations/QH-S01-C01-G01-ZD/']").click()
    expect(page.locator("h1")).to_contain_text("党群直通站")
    assert no_horizontal_scroll(page)
    shoot(page, f"officer-station-{lang}")

    page.locator("a[href$='/inspections/new/']").click()
    expect(page.locator("fieldset.inspection-item")).to_have_count(7)
    assert not _small_targets(page, ".pass-toggle label")
    items = page.locator("fieldset.inspection-item")
    for index in range(7):
        item = items.nth(index)
        item.locator("label.btn").nth(1 if index == 5 else 0).click()  # the sign fails
    failed = items.nth(5)
    failed.locator("input[type=text]").fill("标识褪色，需更换")
    failed.locator("input[type=file]").set_input_files(_photo())
    assert no_horizontal_scroll(page)
    shoot(page, f"officer-inspection-form-{lang}")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/manage/inspections/\d+/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    photo = page.locator("img.inspection-photo")
    expect(photo).to_be_visible()
    # Its box (aspect-ratio in CSS) shows before the lazy image has loaded: wait for the load
    # to end, then a broken image still has no width.
    photo.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete", arg=photo.element_handle())
    assert photo.evaluate("img => img.naturalWidth") > 0
    shoot(page, f"officer-inspection-saved-{lang}")
    page.locator("h1 a").click()
    expect(page.locator("#standard-title + p .badge")).to_have_class(re.compile("text-bg-warning"))

    page.goto(page.url.split("/manage/")[0] + "/areas/QH-S01-C01/station-coverage/")
    expect(page.locator(".stat").first).to_contain_text("%")
    assert no_horizontal_scroll(page)
    shoot(page, f"officer-coverage-{lang}")
    assert not page.errors, page.errors
