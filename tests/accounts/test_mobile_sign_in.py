"""Signing in by mobile number as well as by user name."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-2026"
PHONE = "13987654321"


def sign_in(client, login, password=PASSWORD):
    return client.post(reverse("login"), {"username": login, "password": password})


def test_the_login_page_asks_for_a_user_name_or_a_mobile_number(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "User name or mobile number" in page
    assert reverse("password_forgot") in page and reverse("activate_code") in page


def test_a_user_signs_in_with_their_mobile_number(client):
    UserFactory(username="mobile_user", phone=PHONE)
    response = sign_in(client, "139 8765 4321")
    assert response.status_code == 302
    assert client.get(reverse("profile")).context["user"].username == "mobile_user"


def test_a_shared_mobile_number_is_refused_with_a_clear_message(client):
    UserFactory(username="first", phone=PHONE)
    UserFactory(username="second", phone=PHONE)
    response = sign_in(client, PHONE)
    assert response.status_code == 200
    assert "sign in with your user name" in response.content.decode()
    assert sign_in(client, "second").status_code == 302


def test_an_inactive_account_does_not_sign_in_by_mobile(client):
    UserFactory(username="gone", phone=PHONE, is_active=False)
    assert sign_in(client, PHONE).status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_user_name_that_looks_like_a_mobile_number_wins(client):
    UserFactory(username=PHONE, phone="")
    UserFactory(username="owner", phone=PHONE)
    sign_in(client, PHONE)
    assert client.get(reverse("profile")).context["user"].username == PHONE


def test_the_lockout_applies_to_mobile_sign_in(client, settings):
    UserFactory(username="locked", phone=PHONE)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, PHONE, "wrong").status_code == 200
    assert sign_in(client, PHONE, "wrong").status_code == 429
    assert sign_in(client, PHONE).status_code == 429  # even the right password, until cool-off


def test_a_password_reset_by_sms_code_ends_the_lockout_and_the_old_sessions(
    client, settings, sms_log
):
    settings.RATELIMIT_ENABLE = False
    user = UserFactory(username="locked", phone=PHONE)
    elsewhere = Client()
    elsewhere.force_login(user)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, PHONE, "wrong")
    assert sign_in(client, PHONE).status_code == 429

    client.post(reverse("password_forgot"), {"login": PHONE})
    new = "Qinghu-river-2026"
    form = {"login": PHONE, "code": sms_log.code(), "password": new, "password2": new}
    assert client.post(reverse("password_reset_code"), form).status_code == 302

    client.logout()
    assert sign_in(client, PHONE, new).status_code == 302
    assert sign_in(Client(), "locked", new).status_code == 302
    assert elsewhere.get(reverse("profile")).status_code == 302  # signed out


def test_an_officers_temporary_password_ends_the_lockout(client, settings):
    user = UserFactory(username="locked", phone=PHONE)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "locked", "wrong")
    assert sign_in(client, "locked").status_code == 429

    temporary = services.set_temporary_password(by=None, user=user)

    assert sign_in(client, "locked", temporary).status_code == 302
