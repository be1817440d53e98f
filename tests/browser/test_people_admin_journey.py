"""A community officer on a phone gives a vacant grid post to a new person, reads the
temporary password off the screen once; the new person signs in with it, must choose their
own, and lands on their grid."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"  # what open_as types into the login form
OWN_PASSWORD = "my-own-Secret-2026"


def test_a_new_person_gets_a_post_and_replaces_the_temporary_password(
    community_officer, territory, open_as, shoot, live_server, browser
):
    community_officer.set_password(PASSWORD)
    community_officer.save()
    page = open_as("community_officer")
    page.goto(f"{live_server.url}/areas/C1/staffing/")
    shoot(page, "people-staffing-phone")
    page.locator("a[href='/areas/G1/posts/give/']").click()
    expect(page).to_have_url(re.compile(r"/areas/G1/posts/give/$"))
    page.select_option("select[name=role]", "grid_worker")
    page.fill("input[name=display_name]", "李明")
    page.fill("input[name=phone]", "13800138000")
    assert no_horizontal_scroll(page)
    shoot(page, "people-give-post-phone")
    page.click("main form button[type=submit]")
    shown = page.locator("[data-testid=temporary-password]")
    expect(shown).to_be_visible()
    temporary = shown.inner_text().strip()
    assert len(temporary) == 10
    shoot(page, "people-temporary-password-phone")
    page.click("main a.btn-party")
    expect(page).to_have_url(re.compile(r"/areas/G1/people/$"))
    expect(page.locator("main table")).to_contain_text("138****8000")
    assert no_horizontal_scroll(page)
    shoot(page, "people-list-phone")
    assert page.errors == []

    context = browser.new_context(viewport=PHONE, locale="en-GB")
    newcomer = context.new_page()
    newcomer.goto(f"{live_server.url}/accounts/login/")
    newcomer.fill("input[name=username]", "13800138000")
    newcomer.fill("input[name=password]", temporary)
    newcomer.click("form button[type=submit]")
    expect(newcomer).to_have_url(re.compile(r"/accounts/password/$"))
    shoot(newcomer, "people-must-change-password-phone")
    newcomer.fill("input[name=old_password]", temporary)
    newcomer.fill("input[name=new_password1]", OWN_PASSWORD)
    newcomer.fill("input[name=new_password2]", OWN_PASSWORD)
    newcomer.click("main form button[type=submit]")
    expect(newcomer).to_have_url(re.compile(r"/accounts/password/done/$"))
    newcomer.goto(f"{live_server.url}/")
    expect(newcomer).to_have_url(re.compile(r"/visits/$"))  # a grid worker lands on visits
    shoot(newcomer, "people-newcomer-grid-phone")
    context.close()
