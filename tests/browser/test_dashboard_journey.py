"""The district dashboard in Chromium: district staff drill down from the district to a
grid through the league tables, on a command-centre screen and in both languages."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def charts_drawn(page):
    """The charts load when they come near the screen: scroll there and wait for them."""
    page.locator("#dash-charts").scroll_into_view_if_needed()
    expect(page.locator("#dash-charts[data-ready='1']")).to_be_attached()


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_district_staff_drill_down_to_a_grid(demo, live_server, open_as, shoot, locale, lang):
    page = open_as("district", locale=locale, viewport=DESKTOP)
    page.goto(f"{live_server.url}/dashboard/?period=year")
    expect(page).to_have_url(re.compile(r"/dashboard/QH/"))
    page.select_option("select[name=period]", "year")
    page.locator("main form button[type=submit]").click()
    charts_drawn(page)
    assert page.locator("#dash-map svg path").count() >= 4  # the streets' boundaries
    received = int(page.locator("[data-figure=received]").inner_text())
    assert received > 0
    league = page.locator("table.league tbody tr")
    assert sum(int(row.locator("td").first.inner_text()) for row in league.all()) == received
    # The split by channel adds up to the same requests.
    by_channel = page.locator("table.mix").first.locator("tbody tr")
    assert sum(int(row.locator("td").first.inner_text()) for row in by_channel.all()) == received
    # Coverage and staffing from the standing rollup, and the points panel loaded after.
    assert page.locator("[data-figure=staffing_rate]").inner_text().endswith("%")
    assert page.locator("[data-figure=branch_rate]").inner_text().endswith("%")
    expect(page.locator("#dash-points table").first).to_be_visible()
    # Ranked by 1+3+N, the map is coloured by it.
    page.locator("table.league thead a[href$='sort=staffing_rate']").click()
    expect(page.locator("table.league thead a[aria-current=true]")).to_have_attribute(
        "href", re.compile("sort=staffing_rate")
    )
    charts_drawn(page)
    # Any figure from the menu: one not in the table gets a column of its own.
    page.select_option("#d-sort", "visits_overdue")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("table.league thead a[aria-current=true]")).to_have_attribute(
        "href", re.compile("sort=visits_overdue")
    )
    charts_drawn(page)
    page.select_option("#d-sort", "staffing_rate")
    page.locator("main form button[type=submit]").click()
    charts_drawn(page)
    shoot(page, f"dashboard-district-{lang}")
    page.emulate_media(media="print")
    shoot(page, f"dashboard-district-print-{lang}")
    page.emulate_media(media="screen")
    page.locator("table.league tbody a", has_text=re.compile("湖滨")).click()
    expect(page).to_have_url(re.compile(r"/dashboard/QH-S01/"))
    shoot(page, f"dashboard-street-{lang}")
    page.locator("table.league tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/QH-S01-C\d\d/"))
    page.locator("table.league tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/QH-S01-C\d\d-G\d\d/"))
    shoot(page, f"dashboard-grid-{lang}")
    assert not page.errors, page.errors

    phone = open_as("community", locale=locale, viewport=PHONE)
    phone.goto(f"{live_server.url}/dashboard/")
    expect(phone).to_have_url(re.compile(r"/dashboard/QH-S01-C01/"))
    assert no_horizontal_scroll(phone)
    shoot(phone, f"dashboard-community-phone-{lang}")
