"""The command-centre screen on a 1920×1080 wall (one screen, no scrolling, refreshed in
place, dark and light), and the dashboard on a phone (no ECharts until the charts are
scrolled to) and on a 1366×768 laptop (the areas below on the first screen)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dashboards import rollup
from dashboards.models import AreaDay
from grids.models import Area
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WALL = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}

SMALLEST_TEXT = """() => {
  let smallest = 1000;
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') || !el.offsetParent && el.tagName !== 'BODY') continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (own) smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
  }
  return smallest;
}"""


SMALL_TARGETS = """() => [...document.querySelectorAll(
    'main a, main button, main select, main input, main summary, #wall a, #wall button,'
    + ' #wall select'
  )].filter(el => el.offsetParent).map(el => [el, el.getBoundingClientRect()])
  .filter(([el, box]) => box.width < 24 || box.height < 24)
  .map(([el, box]) =>
    `${el.tagName} ${el.textContent.trim().slice(0, 20)} ${box.width}x${box.height}`)"""


def test_the_wall_fits_one_screen_refreshes_in_place_and_keeps_its_theme(
    demo, live_server, open_as, shoot
):
    page = open_as("district", locale="zh-CN", viewport=WALL)
    page.goto(f"{live_server.url}/dashboard/QH/wall/?every=1")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#wall[data-polls]")).to_be_attached()
    # The streets drawn on the map, coloured by the chosen figure.
    expect(page.locator("#wall-map svg path").first).to_be_attached()
    assert page.locator("#wall-map svg path").count() >= 4
    assert page.evaluate(
        "document.documentElement.scrollHeight <= innerHeight"
        " && document.documentElement.scrollWidth <= innerWidth"
    )
    assert page.evaluate(SMALLEST_TEXT) >= 24
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], "\n".join(small)
    opened = page.locator("[data-wall-figure=open_now]")
    before = int(opened.inner_text())
    shoot(page, "wall-dark-zh", full_page=False)

    # New figures in the rollups: the next poll shows them, without reloading the page.
    page.evaluate("window.notReloaded = true")
    district = Area.objects.get(code="QH")
    row, _created = AreaDay.objects.get_or_create(area=district, day=timezone.localdate())
    AreaDay.objects.filter(pk=row.pk).update(open_now=row.open_now + 5)
    rollup.remember_refresh(timezone.now())
    expect(opened).to_have_text(str(before + 5))
    assert page.evaluate("window.notReloaded === true")

    # Another figure colours the map; the light theme is kept for the next visit.
    page.select_option("#wall-figure", "overdue_now")
    expect(page.locator("#wall-map-figure")).to_have_text(
        page.locator("#wall-figure option[value=overdue_now]").inner_text()
    )
    page.click("#wall-theme")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    expect(page.locator("#wall-figure")).to_have_value("overdue_now")
    expect(page.locator("#wall[data-polls]")).to_be_attached()
    expect(page.locator("#wall-map svg path").first).to_be_attached()
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
    shoot(page, "wall-light-zh", full_page=False)
    assert not page.errors, page.errors


def test_a_phone_loads_echarts_only_when_the_charts_are_scrolled_to(
    demo, live_server, open_as, shoot
):
    page = open_as("community", locale="zh-CN", viewport=PHONE)
    scripts = []
    page.on("request", lambda r: "echarts" in r.url and scripts.append(r.url))
    page.goto(f"{live_server.url}/dashboard/QH-S01-C01/")
    page.wait_for_load_state("networkidle")
    # The figures are on the page as HTML before any chart.
    assert page.locator("[data-figure=received]").inner_text().strip()
    assert scripts == [] and page.evaluate("typeof window.echarts") == "undefined"
    shoot(page, "dashboard-community-phone-top-zh", full_page=False)
    page.locator("#dash-charts").scroll_into_view_if_needed()
    expect(page.locator("#dash-charts[data-ready='1']")).to_be_attached()
    assert [re.sub(r"^.*/static/", "", url) for url in scripts] == [
        "vendor/echarts/echarts.custom.min.js"
    ]
    assert page.locator("#dash-map svg path").count() >= 2
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], "\n".join(small)

    laptop = open_as("district", locale="zh-CN", viewport=LAPTOP)
    laptop.goto(f"{live_server.url}/dashboard/QH/")
    # The areas below, the way down, start on the first screen.
    top = laptop.locator("#dash-areas").bounding_box()["y"]
    assert top < LAPTOP["height"] - 150, top
    shoot(laptop, "dashboard-district-laptop-zh", full_page=False)
    assert not page.errors and not laptop.errors, page.errors + laptop.errors
