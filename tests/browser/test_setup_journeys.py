"""Issue 20 in Chromium: the demo's officers set up what only a superuser could before — the
community its visit plan and rewards, the street a red and black list, the district a rule's
new version — from the pages they already use, on a phone and on a desktop."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, open_sections

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SETUP_SHOTS", "var/screenshots/setup"))


def _both(page, name: str) -> None:
    """The page as it stands, at 360 px and at 1366 px."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("360", PHONE), ("1366", DESKTOP)):
        page.set_viewport_size(size)
        page.wait_for_load_state("load")
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        if label == "360":
            assert no_horizontal_scroll(page), name
    page.set_viewport_size(PHONE)


def _area_link(page, live_server, label: re.Pattern) -> None:
    page.goto(f"{live_server.url}/areas/")  # "My area"
    open_sections(page)
    page.locator("a", has_text=label).first.click()


def test_the_community_sets_its_visit_plan_and_keeps_its_rewards(demo, live_server, open_as):
    page = open_as("community")
    page.goto(f"{live_server.url}/areas/")  # "My area"
    open_sections(page)
    page.locator("main a[href*='/visit-plan/']").first.click()
    expect(page.locator("[data-source]")).to_be_visible()
    page.fill("input[name=routine_days]", "60")
    page.fill("input[name=care_elderly_alone]", "5")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-source=own]")).to_be_visible()
    _both(page, "visit-plan-community")
    page.fill("input[name=routine_days]", "0")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".invalid-feedback, .is-invalid").first).to_be_visible()
    _both(page, "visit-plan-error")

    page.goto(f"{live_server.url}/areas/")  # "My area"
    open_sections(page)
    page.locator("main a[href*='/rewards/catalogue/']").first.click()
    _both(page, "reward-catalogue")
    page.locator("main ul a[href*='/points/rewards/']").first.click()
    before = int(page.locator("[data-stock]").inner_text())
    page.fill("input[name=change]", "12")
    page.fill("input[name=note]", "街道配送")
    page.locator("form[action*='/stock/'] button").click()
    expect(page.locator("[data-stock]")).to_have_text(str(before + 12))
    _both(page, "reward-detail")
    assert not page.errors


def test_the_street_sets_up_a_list_and_a_default_plan(demo, live_server, open_as):
    page = open_as("street")
    page.goto(f"{live_server.url}/areas/")  # "My area"
    open_sections(page)
    page.locator("main a[href*='/visit-plan/']").first.click()
    page.fill("input[name=routine_days]", "45")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".alert-success")).to_be_visible()
    _both(page, "visit-plan-street")
    page.goto(f"{live_server.url}/areas/")  # "My area"
    open_sections(page)
    page.locator("main a[href*='/honour-lists/']").first.click()
    page.fill("input[name=name_zh]", "街道社区积分榜")
    page.fill("input[name=name_en]", "Communities by points")
    scheme = page.locator("select[name=scheme] option").nth(1).get_attribute("value")
    page.select_option("select[name=scheme]", scheme)
    page.select_option("select[name=unit]", "community")
    page.select_option("select[name=measure]", "total")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    _both(page, "honour-lists")
    page.locator("main ul a[href*='/points/honour-lists/']").first.click()
    _both(page, "honour-list-detail")
    assert not page.errors


def test_the_district_revises_a_rule(demo, live_server, open_as):
    page = open_as("district")
    page.goto(f"{live_server.url}/areas/")  # "My area"
    open_sections(page)
    page.locator("main a[href*='/schemes/']").first.click()
    _both(page, "scheme-list")
    page.locator("main ul a[href*='/points/schemes/']").first.click()
    page.locator("a[href*='/revise/']").first.click()
    _both(page, "rule-revise")
    points = int(page.locator("input[name=points]").input_value())
    page.fill("input[name=points]", str(points + 1))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.locator("details summary").first.click()
    _both(page, "scheme-detail")
    assert not page.errors
