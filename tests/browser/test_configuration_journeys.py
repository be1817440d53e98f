"""Issue 20's configuration pages in a browser, on a phone and a desktop: district staff keep
the catalogue and let an API client in (its token on screen once); a street officer sets up
a community's DingTalk robot, whose address and secret do not come back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, open_sections

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"
SECRET = "SECabcdef0123456789"
TOKEN = "f00dfeedbeef0123"


def _signed_in(user):
    user.set_password(PASSWORD)
    user.save()


@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_district_staff_keep_the_catalogue_and_issue_a_token_once(
    district_officer, ticket, open_as, shoot, live_server, viewport, size
):
    _signed_in(district_officer)
    page = open_as("district_officer", viewport=viewport)
    page.goto(f"{live_server.url}/operations/")
    page.locator("main a[href='/catalogue/']").click()
    expect(page).to_have_url(re.compile(r"/catalogue/$"))
    assert no_horizontal_scroll(page)
    shoot(page, f"config-catalogue-{size}")
    page.locator(f"main a[href='/catalogue/matters/{ticket.matter.pk}/']").first.click()
    page.fill("input[name=response_limit]", "0")
    page.click("main form button[type=submit]")
    expect(page.locator("#id_response_limit")).to_have_class(re.compile("is-invalid"))
    shoot(page, f"config-matter-error-{size}")
    page.fill("input[name=response_limit]", "6")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Deadlines already set")
    page.locator("details.history summary").click()
    assert no_horizontal_scroll(page)
    shoot(page, f"config-matter-{size}")

    page.goto(f"{live_server.url}/api-clients/")
    page.fill("input[name=name]", "12345 hotline")
    page.select_option("select[name=area]", label="示范区")
    page.click("main form button[type=submit]")
    token = page.locator("#issued-token").inner_text().strip()
    assert len(token) > 30
    assert no_horizontal_scroll(page)
    shoot(page, f"config-api-client-token-{size}")
    page.reload()
    expect(page.locator("#issued-token")).to_have_count(0)
    assert token not in page.content()
    page.goto(f"{live_server.url}/api-clients/")
    shoot(page, f"config-api-clients-{size}")
    page.goto(f"{live_server.url}/catalogue/departments/new/")
    assert no_horizontal_scroll(page)
    shoot(page, f"config-department-new-{size}")
    assert page.errors == []


@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_street_officer_sets_up_a_robot_whose_secret_is_not_shown_again(
    street_officer, territory, open_as, shoot, live_server, viewport, size
):
    _signed_in(street_officer)
    page = open_as("street_officer", viewport=viewport)
    page.goto(f"{live_server.url}/areas/{territory.community.code}/")
    open_sections(page)
    page.locator(f"main a[href='/areas/{territory.community.code}/robots/']").click()
    page.locator("main a.btn-party").click()
    page.select_option("select[name=channel]", "dingtalk")
    page.fill("input[name=url]", "http://oapi.dingtalk.com/robot/send")
    page.click("main form button[type=submit]")
    expect(page.locator("#id_url")).to_have_class(re.compile("is-invalid"))
    shoot(page, f"config-robot-error-{size}")
    page.fill("input[name=url]", f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}")
    page.fill("input[name=secret]", SECRET)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/robots/$"))
    assert no_horizontal_scroll(page)
    shoot(page, f"config-robots-{size}")
    page.locator("main a.fw-semibold").first.click()
    expect(page.locator("input[name=secret]")).to_have_attribute(
        "placeholder", re.compile("leave empty to keep")
    )
    page.locator("details.history summary").click()
    html = page.content()
    assert SECRET not in html and TOKEN not in html
    assert no_horizontal_scroll(page)
    shoot(page, f"config-robot-edit-{size}")
    assert page.errors == []
