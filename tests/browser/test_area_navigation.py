"""An area's pages by theme, in Chromium at 360 px and 1366 px, in Chinese and English.

Some 25 section buttons in one row broke each Chinese label one character per line and ran
an English row off the screen (issue 21): now a phone shows an accordion of full-width rows
at least 44 px tall, a desk screen cards in columns, and neither scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, open_sections

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"  # what open_as types into the login form

BOXES = """els => els.map(e => {
  const r = e.getBoundingClientRect();
  return {label: e.textContent.trim(), width: r.width, height: r.height,
          line: parseFloat(getComputedStyle(e).lineHeight) || 24};
})"""


def _signed_in(user):
    user.set_password(PASSWORD)
    user.save()


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("en-GB", "en")])
def test_the_community_page_groups_its_sections_at_360_and_1366_px(
    community_officer, territory, open_as, shoot, live_server, locale, lang
):
    _signed_in(community_officer)
    url = f"{live_server.url}/areas/{territory.community.code}/"

    phone = open_as("community_officer", locale=locale, viewport=PHONE)
    phone.goto(url)
    sections = phone.locator("main nav.area-sections")
    expect(sections.locator("details")).not_to_have_count(0)
    # Folded on a phone, the first theme open: the figures and areas below stay in reach.
    assert phone.locator(".area-sections details[open]").count() == 1
    open_sections(phone)
    assert no_horizontal_scroll(phone)
    nav_width = sections.evaluate("e => e.getBoundingClientRect().width")
    for box in sections.locator("summary, a").evaluate_all(BOXES):
        assert box["height"] >= 44, box
        # Full width, and a label wraps between words: two lines at most, never a column
        # of single characters.
        assert box["width"] >= nav_width - 4, box
        assert box["height"] <= 3 * box["line"] + 24, box
    phone.locator(".area-sections details").first.scroll_into_view_if_needed()
    shoot(phone, f"area-sections-360-{lang}")

    desk = open_as("community_officer", locale=locale, viewport=DESKTOP)
    desk.goto(url)
    sections = desk.locator("main nav.area-sections")
    expect(sections.locator("details:not([open])")).to_have_count(0)  # all open side by side
    assert no_horizontal_scroll(desk)
    lefts = {
        round(box["x"])
        for box in sections.locator("details").evaluate_all(
            "els => els.map(e => ({x: e.getBoundingClientRect().left}))"
        )
    }
    assert len(lefts) >= 3, lefts  # cards in columns, not one long column
    heights = [box["height"] for box in sections.locator("a").evaluate_all(BOXES)]
    assert max(heights) < 80, heights
    assert sections.evaluate("e => e.getBoundingClientRect().height") < 700
    shoot(desk, f"area-sections-1366-{lang}", full_page=False)
    assert not phone.errors and not desk.errors, phone.errors + desk.errors


def test_a_worker_lands_on_the_households_to_visit_with_their_requests(
    own_worker, household, open_as, shoot
):
    _signed_in(own_worker)
    page = open_as("own_worker", locale="zh-CN", viewport=PHONE)
    expect(page).to_have_url(re.compile(r"/visits/$"))
    expect(page.locator("#visits-tasks")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.locator("main a[href='?view=all']").click()  # not due yet: under "All"
    expect(page.locator(f"main a[href='/visits/household/{household.pk}/']")).to_be_visible()
    shoot(page, "worker-landing-360-zh")
    assert not page.errors, page.errors
