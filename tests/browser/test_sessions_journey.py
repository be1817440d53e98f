"""A grid worker signed in on a office computer and on a phone sees both sessions and a
mistyped password in the history, signs the computer out from the phone; and reads a
resident's history, masked, on the resident's page."""

from __future__ import annotations

import re

import pytest
from auditlog.context import set_actor
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)


def _sign_in(browser, live_server, *, viewport, user_agent, password=PASSWORD):
    context = browser.new_context(viewport=viewport, locale="en-GB", user_agent=user_agent)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "own_worker")
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def test_a_worker_signs_out_the_office_computer_from_the_phone(
    own_worker, territory, browser, live_server, shoot
):
    own_worker.set_password(PASSWORD)
    own_worker.save()
    office_context, office = _sign_in(
        browser, live_server, viewport=DESKTOP, user_agent=WINDOWS, password="mistyped"
    )
    office.fill("input[name=password]", PASSWORD)
    office.click("form button[type=submit]")
    office.wait_for_load_state("networkidle")
    phone_context, phone = _sign_in(browser, live_server, viewport=PHONE, user_agent=ANDROID)
    try:
        phone.goto(f"{live_server.url}/accounts/profile/")
        phone.click("text=Where you are signed in")
        expect(phone).to_have_url(re.compile(r"/accounts/sessions/$"))
        sessions = phone.locator("#sessions li")
        expect(sessions).to_have_count(2)
        expect(sessions.first).to_contain_text("Chrome on Android")
        expect(sessions.first).to_contain_text("This device")
        expect(sessions.nth(1)).to_contain_text("Edge on Windows")
        assert no_horizontal_scroll(phone)
        shoot(phone, "sessions-list-phone")

        office.goto(f"{live_server.url}/accounts/sessions/")
        shoot(office, "sessions-list-desktop")
        office.goto(f"{live_server.url}/accounts/signins/")
        expect(office.locator("#signins")).to_contain_text("Wrong password")
        shoot(office, "signin-history-desktop")

        phone.goto(f"{live_server.url}/accounts/signins/")
        expect(phone.locator("#signins li")).to_have_count(3)
        assert no_horizontal_scroll(phone)
        shoot(phone, "signin-history-phone")

        phone.goto(f"{live_server.url}/accounts/sessions/")
        phone.on("dialog", lambda dialog: dialog.accept())
        phone.click("text=Sign out all other sessions")
        expect(phone.locator("main")).to_contain_text("1 other session was signed out.")
        expect(phone.locator("#sessions li")).to_have_count(1)
        shoot(phone, "sessions-signed-out-others-phone")

        office.goto(f"{live_server.url}/accounts/profile/")
        expect(office).to_have_url(re.compile(r"/accounts/login/"))
    finally:
        office_context.close()
        phone_context.close()


def test_a_resident_page_shows_its_history_masked(
    own_worker, resident, browser, live_server, shoot
):
    own_worker.set_password(PASSWORD)
    own_worker.save()
    with set_actor(own_worker):
        resident.phone = "13812345678"
        resident.name = "改名后"
        resident.save()
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        context, page = _sign_in(browser, live_server, viewport=viewport, user_agent=ANDROID)
        try:
            page.goto(f"{live_server.url}/residents/{resident.pk}/edit/")
            page.click("details.history summary")
            history = page.locator("details.history")
            expect(history).to_contain_text("改名后")
            assert "13812345678" not in history.inner_text()
            assert no_horizontal_scroll(page)
            shoot(page, f"resident-history-{name}")
        finally:
            context.close()


def test_a_street_officer_turns_on_two_step_sign_in_on_a_phone(
    street_officer, browser, live_server, shoot
):
    """Set up from the profile at 360 px (a QR code and the key as text), then the next
    sign-in asks for the code after the password."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.accounts.test_totp import code_for

    street_officer.set_password(PASSWORD)
    street_officer.save()
    context = browser.new_context(viewport=PHONE, locale="en-GB", user_agent=ANDROID)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "street_officer")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.goto(f"{live_server.url}/accounts/profile/")
        page.click("text=Two-step sign-in")
        expect(page.locator("#two-factor-state")).to_contain_text("Off")
        page.click("text=Set up two-step sign-in")
        qr = page.locator("#two-factor-qr svg")
        expect(qr).to_be_visible()
        box = qr.bounding_box()
        assert box["width"] >= 200 and box["x"] >= 0 and box["x"] + box["width"] <= 360
        expect(page.locator("#two-factor-secret")).to_have_text(re.compile(r"^[A-Z2-7 ]{20,}$"))
        assert no_horizontal_scroll(page)
        shoot(page, "two-factor-setup-phone")
        device = TOTPDevice.objects.get(user=street_officer)
        page.fill("input[name=code]", code_for(device))
        page.click("main form button[type=submit]")
        expect(page.locator("#two-factor-state")).to_contain_text("On")
        shoot(page, "two-factor-on-phone")

        page.evaluate("document.querySelector(`nav form[action$='/logout/']`).submit()")
        page.wait_for_url(re.compile(r"/accounts/login/"))
        page.fill("input[name=username]", "street_officer")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
        assert no_horizontal_scroll(page)
        shoot(page, "two-factor-sign-in-code-phone")
        page.fill("input[name=code]", code_for(device, ahead=1))  # the next period's code
        page.click("main form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/accounts/login" not in page.url
        assert not errors, errors
    finally:
        context.close()


def test_typing_on_an_open_page_keeps_the_session_and_an_idle_page_does_not(
    own_worker, browser, live_server
):
    """static/js/keepalive.js: a request at most every 5 minutes while someone types."""
    own_worker.set_password(PASSWORD)
    own_worker.save()
    context, page = _sign_in(browser, live_server, viewport=PHONE, user_agent=ANDROID)
    try:
        pings = []
        page.on("request", lambda r: "/accounts/keep-alive/" in r.url and pings.append(r.url))
        page.clock.install()
        page.goto(f"{live_server.url}/accounts/profile/")
        page.clock.run_for(6 * 60 * 1000)
        assert pings == []  # nobody typed
        page.fill("input[name=display_name]", "王芳")
        page.clock.run_for(60 * 1000)
        page.wait_for_timeout(500)
        assert len(pings) == 1
        page.clock.run_for(3 * 60 * 1000)
        page.wait_for_timeout(200)
        assert len(pings) == 1  # typed once: one request
    finally:
        context.close()
