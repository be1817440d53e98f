"""Two-step sign-in with an authenticator app (TOTP, django-otp): setting it up, the code as a
second step of signing in, wrong codes refused and slowed down, removing it with the
password; and the API the step-up checks use (accounts/twofactor.py)."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.models import SignIn, UserSession
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-2026"
START = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


def code_for(device: TOTPDevice, *, ahead: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + ahead * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def enrolled(clock):
    user = UserFactory(username="zhou")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return user, device


def _password_step(browser: Client, username: str = "zhou", next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return browser.post(reverse("login"), data)


def _is_signed_in(browser: Client) -> bool:
    return browser.get(reverse("profile")).status_code == 200


def test_setting_up_shows_a_qr_code_and_the_key_and_a_code_confirms_it(clock):
    user = UserFactory(username="zhou")
    browser = Client()
    browser.force_login(user)
    page = browser.get(reverse("two_factor_setup"))
    html = page.content.decode()
    assert "<svg" in html and 'class="segno"' in html
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=user)
    assert secret.replace(" ", "") in device.config_url
    assert "issuer=Grid%20Governance" in device.config_url
    assert not twofactor.has_device(user)
    # The page again (a reload): the same key, not a new one.
    assert secret in browser.get(reverse("two_factor_setup")).content.decode()

    wrong = browser.post(reverse("two_factor_setup"), {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert not twofactor.has_device(user)
    clock.shift(dt.timedelta(seconds=5))  # the throttle after one wrong code
    response = browser.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert response["Location"] == reverse("two_factor")
    assert twofactor.has_device(user)
    assert "On" in browser.get(reverse("two_factor")).content.decode()
    # Set up already: the page does not offer a new key (removing asks for the password).
    assert browser.get(reverse("two_factor_setup"))["Location"] == reverse("two_factor")


def test_signing_in_asks_for_the_code_after_the_password(enrolled):
    user, device = enrolled
    browser = Client()
    response = _password_step(browser, next_url="/accounts/sessions/")
    assert response["Location"] == reverse("signin_code")
    assert not _is_signed_in(browser)  # not signed in until the code is right
    assert not UserSession.objects.filter(user=user).exists()
    response = browser.post(reverse("signin_code"), {"code": code_for(device)})
    assert response["Location"] == "/accounts/sessions/"
    assert _is_signed_in(browser)
    assert SignIn.objects.filter(user=user, result=SignIn.Result.SUCCESS).count() == 1


def test_without_a_device_the_password_alone_signs_in():
    UserFactory(username="zhou")
    browser = Client()
    assert _password_step(browser)["Location"] == reverse("home")
    assert _is_signed_in(browser)


def test_a_wrong_code_is_refused_and_counted_as_a_failed_sign_in(enrolled):
    user, device = enrolled
    browser = Client()
    _password_step(browser)
    response = browser.post(reverse("signin_code"), {"code": code_for(device, ahead=5)})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not _is_signed_in(browser)
    assert SignIn.objects.filter(user=user, result=SignIn.Result.FAILED).exists()


def test_wrong_codes_are_throttled_and_a_right_one_waits_its_turn(enrolled, clock):
    user, device = enrolled
    browser = Client()
    _password_step(browser)
    for wait in (1, 2, 0):  # django-otp waits 1, 2, 4 … seconds after each wrong code
        browser.post(reverse("signin_code"), {"code": "000000"})
        clock.shift(dt.timedelta(seconds=wait))
    assert twofactor.wait_seconds(user) == 5
    # Even the right code is refused while throttled.
    response = browser.post(reverse("signin_code"), {"code": code_for(device)})
    assert "That code is not right. Try the code your app shows now, in 5 seconds." in (
        response.content.decode()
    )
    assert not _is_signed_in(browser)
    clock.shift(dt.timedelta(seconds=30))
    response = browser.post(reverse("signin_code"), {"code": code_for(device)})
    assert response.status_code == 302
    assert _is_signed_in(browser)


def test_five_wrong_codes_lock_the_account_out_as_five_wrong_passwords_do(enrolled, clock):
    browser = Client()
    _password_step(browser)
    for _ in range(5):
        response = browser.post(reverse("signin_code"), {"code": "000000"})
        clock.shift(dt.timedelta(minutes=1))
    assert response.status_code == settings.AXES_HTTP_RESPONSE_CODE  # django-axes' lockout
    assert browser.get(reverse("signin_code"))["Location"] == reverse("login")
    # The password alone does not get past the lockout either.
    assert _password_step(browser).status_code == settings.AXES_HTTP_RESPONSE_CODE


def test_the_code_step_lapses_after_five_minutes(enrolled, clock):
    _user, device = enrolled
    browser = Client()
    _password_step(browser)
    clock.shift(dt.timedelta(minutes=6))
    response = browser.post(reverse("signin_code"), {"code": code_for(device)})
    assert response["Location"] == reverse("login")
    assert not _is_signed_in(browser)


def test_a_code_is_not_accepted_twice(enrolled):
    user, device = enrolled
    code = code_for(device)
    assert twofactor.verify_code(user, code)
    assert not twofactor.verify_code(user, code)


def test_the_api_for_step_up_checks(enrolled, clock):
    user, device = enrolled
    assert twofactor.has_device(user)
    assert not twofactor.has_device(UserFactory(username="li"))
    assert not twofactor.verify_code(user, "not a code")
    assert twofactor.verify_code(user, " ".join(code_for(device)))  # spaces allowed
    assert not twofactor.required_for(user)  # no rule registered: never required

    def rule(u):
        return u.username == "zhou"

    twofactor.require_when(rule)
    try:
        assert twofactor.required_for(user)
        assert not twofactor.required_for(UserFactory(username="li"))
    finally:
        twofactor._rules.remove(rule)


def test_removing_needs_the_password(enrolled):
    user, _device = enrolled
    browser = Client()
    browser.force_login(user)
    response = browser.post(reverse("two_factor_remove"), {"password": "wrong"})
    assert response["Location"] == reverse("two_factor")
    assert twofactor.has_device(user)
    browser.post(reverse("two_factor_remove"), {"password": PASSWORD})
    assert not twofactor.has_device(user)
    assert _password_step(Client())["Location"] == reverse("home")


def test_a_wrong_password_to_remove_it_counts_towards_the_lockout(enrolled):
    from axes.models import AccessAttempt

    user, _device = enrolled
    browser = Client()
    browser.force_login(user)
    browser.post(reverse("two_factor_remove"), {"password": "wrong-guess-1"})
    assert (
        AccessAttempt.objects.filter(username=user.get_username()).get().failures_since_start == 1
    )
    assert twofactor.has_device(user)


def test_a_temporary_password_from_an_officer_turns_two_step_sign_in_off(
    own_worker, street_officer
):
    """The way back for a worker who lost the phone with the app."""
    from grids import services as grid_services

    TOTPDevice.objects.create(user=own_worker, name="authenticator", confirmed=True)
    password = grid_services.reset_password_for(by=street_officer, person=own_worker)
    assert not twofactor.has_device(own_worker)
    response = Client().post(reverse("login"), {"username": "own_worker", "password": password})
    assert response["Location"] == reverse("home")


def test_a_password_reset_by_sms_code_still_asks_for_the_authenticator(client, sms_log):
    from accounts.models import OneTimeCode

    user = UserFactory(username="zhou", phone="13912345678")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.post(reverse("password_forgot"), {"login": "zhou"})
    new = "Another-2026-x"
    form = {"login": "zhou", "code": sms_log.code(), "password": new, "password2": new}
    response = client.post(reverse("password_reset_code"), form)
    assert OneTimeCode.objects.get().used_at is not None
    assert response["Location"] == reverse("signin_code")
    assert not _is_signed_in(client)
    client.post(reverse("signin_code"), {"code": code_for(device)})
    assert _is_signed_in(client)
