"""Party branches in Chromium: a member reports to the community from a phone (双报到), the
community officer confirms it, looks at a branch and links a household to a member."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll, open_sections

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_member_reports_and_the_community_confirms(
    demo, browser, live_server, open_as, shoot, locale, lang
):
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale=locale)
    phone = context.new_page()
    phone.goto(f"{live_server.url}/join/QH-S01-C01/")
    assert no_horizontal_scroll(phone)
    phone.fill("input[name=name]", "钱在职")
    phone.fill("input[name=phone]", "139 8888 0001")
    phone.fill("input[name=work_unit]", "区税务局")
    phone.locator("input[name=posts][value=legal_aid]").check()
    shoot(phone, f"join-form-{lang}")
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator(".alert-success")).to_be_visible()
    shoot(phone, f"join-done-{lang}")
    context.close()

    page = open_as("community", locale=locale)
    page.goto(f"{live_server.url}/areas/QH-S01-C01/registrations/")
    item = page.locator("li", has_text="钱在职")
    expect(item).to_be_visible()
    shoot(page, f"registrations-queue-{lang}")
    item.locator("button[name=confirm][value='1']").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("section", has_text="钱在职").first).to_be_visible()


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_the_community_officer_reviews_a_branch_and_links_a_household(
    demo, live_server, open_as, shoot, locale, lang
):
    page = open_as("community", locale=locale)
    page.goto(f"{live_server.url}/areas/QH-S01-C01/")
    open_sections(page)
    page.locator("a[href$='/branches/']").first.click()
    expect(page).to_have_url(re.compile(r"/areas/QH-S01-C01/branches/$"))
    assert no_horizontal_scroll(page)
    shoot(page, f"branches-coverage-{lang}")
    page.locator(".list-group a").first.click()
    expect(page).to_have_url(re.compile(r"/branches/QH-S01-C01-B\d\d/$"))
    shoot(page, f"branch-detail-{lang}")
    page.locator(".list-group a[href*='/members/']").first.click()
    before = page.locator("section").first.locator("li .btn-outline-danger").count()
    page.fill("input[name=q]", "幢")
    page.locator("form[role=search] button").click()
    candidates = page.locator("form[action$='/links/'] button")
    if before < 10 and candidates.count():
        candidates.first.click()
        expect(page.locator(".alert-success")).to_be_visible()
    shoot(page, f"member-links-{lang}")
    assert not page.errors, page.errors
