"""Main journeys in Debian's Chromium: a grid worker on a phone, a community officer,
district staff, in English and Chinese. Screenshots land in var/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_grid_worker_finds_a_household_and_adds_a_resident_on_a_phone(
    demo, open_as, shoot, locale, lang
):
    page = open_as("worker", locale=locale)
    expect(page).to_have_url(re.compile(r"/visits/$"))  # a worker lands on their visits
    page.goto(page.url.replace("/visits/", "/areas/"))  # "My area"
    expect(page).to_have_url(re.compile(r"/areas/QH-S01-C01-G01/$"))
    expect(page.locator("h1")).to_contain_text("网格")
    assert no_horizontal_scroll(page)
    shoot(page, f"worker-grid-{lang}")

    page.locator("#section-people a[href$='/households/']").first.click()
    expect(page).to_have_url(re.compile(r"/households/$"))
    shoot(page, f"worker-households-{lang}", full_page=False)
    assert no_horizontal_scroll(page)
    first = page.locator(".list-group a").first
    address = first.locator(".fw-semibold").inner_text()
    page.fill("input[name=q]", address[:6])
    page.locator("form[role=search] button").click()
    expect(page.locator(".list-group a").first).to_contain_text(address[:6])
    page.locator(".list-group a").first.click()

    phone = page.locator("[id^=phone-]").first
    expect(phone.locator(".masked")).to_contain_text("****")
    phone.locator("a.reveal").click()  # htmx: the reason form replaces the masked number
    phone.locator("select[name=reason]").select_option("visit")
    phone.locator("input[name=password]").fill("demo-grid-2026")  # the step-up
    phone.locator("button[type=submit]").click()  # then the full number, in place
    expect(phone.locator(".masked")).to_have_text(re.compile(r"^1[3-9]\d{9}$"))
    shoot(page, f"worker-household-revealed-{lang}")

    page.locator("main a[href$='/residents/new/']").click()  # Add resident
    page.fill("input[name=name]", "测试居民")
    page.fill("input[name=id_number]", "11010519491231002")  # one digit short
    page.fill("input[name=phone]", "+86 138-0013-8000")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_id_number").locator("xpath=..")).to_be_visible()
    expect(page.locator(".invalid-feedback, .text-danger").first).to_be_visible()
    shoot(page, f"worker-resident-error-{lang}")
    page.fill("input[name=id_number]", "11010519491231002x")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("测试居民")
    shoot(page, f"worker-resident-added-{lang}")
    assert not page.errors, page.errors


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_community_officer_checks_staffing_and_boundaries(demo, open_as, shoot, locale, lang):
    page = open_as("community", locale=locale)
    expect(page).to_have_url(re.compile(r"/tickets/$"))  # a community lands on its board
    page.goto(page.url.replace("/tickets/", "/areas/QH-S01-C01/"))
    expect(page.locator("svg.area-map path")).not_to_have_count(0)
    assert no_horizontal_scroll(page)
    shoot(page, f"community-phone-{lang}")
    page.locator("a[href$='/staffing/']").click()
    expect(page.locator("table")).to_be_visible()
    shoot(page, f"community-staffing-{lang}")
    page.go_back()
    page.locator("#section-settings summary").click()  # folded on a phone
    page.locator("a[href$='/coverage/']").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert not page.errors, page.errors


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_district_staff_drill_down_from_the_map(demo, open_as, shoot, locale, lang):
    phone = open_as("district", locale=locale)
    expect(phone).to_have_url(re.compile(r"/dashboard/QH/$"))  # the district's figures
    phone.goto(phone.url.replace("/dashboard/QH/", "/areas/QH/"))
    assert no_horizontal_scroll(phone)
    shoot(phone, f"district-phone-{lang}")
    page = open_as("district", locale=locale, viewport=DESKTOP)
    page.goto(page.url.replace("/dashboard/QH/", "/areas/QH/"))
    shoot(page, f"district-overview-{lang}")
    page.locator("svg.area-map a").first.click()
    expect(page).to_have_url(re.compile(r"/areas/QH-[ST]\d\d/$"))
    expect(page.locator(".breadcrumb")).to_contain_text("青湖区")
    shoot(page, f"district-street-{lang}")
    assert not page.errors, page.errors


def test_the_language_switcher_changes_the_language_and_remembers_it(demo, open_as, shoot):
    page = open_as("worker", locale="en-GB")
    expect(page.locator("nav.navbar")).to_contain_text("My area")
    page.select_option("#language", "zh-hans")
    page.wait_for_load_state("networkidle")
    expect(page.locator("nav.navbar")).to_contain_text("我的辖区")
    page.reload()
    expect(page.locator("nav.navbar")).to_contain_text("我的辖区")
    shoot(page, "worker-switched-to-chinese")
