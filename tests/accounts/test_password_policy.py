"""Passwords as 等保 2.0 level 3 expects: at least 10 characters, three kinds of character, not
a common password, not the user name or mobile number; an older password that breaks the
rules is replaced at the next sign-in."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.passwords import CharacterClassesValidator
from grids.demo import DEMO_ACCOUNTS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _refusals(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


@pytest.mark.parametrize(
    "password",
    [
        "demo-grid-2026",
        "pw-for-tests-2026",
        "Qinghu-river-2026",
        "correct Horse battery",
        "网格治理Aa1234",
    ],
)
def test_good_passwords_pass(password):
    assert _refusals(password, UserFactory.build(username="wangfang", phone="13912345678")) == []


def test_the_demo_password_passes_for_every_demo_account():
    for username, *_ in DEMO_ACCOUNTS:
        assert _refusals("demo-grid-2026", UserFactory.build(username=username)) == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab-12345", "This password is too short. It must contain at least 10 characters."),
        (
            "alllowercaseletters",
            "This password uses too few kinds of character. Use at least 3 of: lower-case "
            "letters, upper-case letters, digits, symbols.",
        ),
        ("Password123", "This password is too common."),
        ("12345678901234", "This password is entirely numeric."),
        ("Wangfang-2026", "The password must not contain your user name or mobile number."),
        ("x13912345678X!", "The password must not contain your user name or mobile number."),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(password, message):
    user = UserFactory.build(username="wangfang", phone="13912345678")
    assert message in _refusals(password, user)


def test_a_chinese_character_counts_as_a_symbol():
    CharacterClassesValidator().validate("网格abc123def")
    with pytest.raises(ValidationError):
        CharacterClassesValidator(min_classes=4).validate("网格abc123def")


def test_the_help_text_names_the_rules():
    from django.contrib.auth.password_validation import password_validators_help_text_html

    text = password_validators_help_text_html()
    assert "at least 10 characters" in text
    assert "lower-case letters, upper-case letters, digits, symbols" in text
    assert "user name or mobile number" in text


def test_the_minimum_length_is_a_setting(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 12},
        }
    ]
    assert _refusals("Ab-1234567x") == [
        "This password is too short. It must contain at least 12 characters."
    ]


def test_the_password_change_page_refuses_a_weak_password(client):
    user = UserFactory(username="wangfang")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-for-tests-2026",
            "new_password1": "wangfang2026",
            "new_password2": "wangfang2026",
        },
    )
    assert response.status_code == 200
    assert "The password must not contain your user name or mobile number." in (
        response.content.decode()
    )


def test_signing_in_with_an_older_weak_password_asks_for_a_new_one():
    user = UserFactory(username="li", password="lipassword")  # set before the rules
    browser = Client()
    response = browser.post(reverse("login"), {"username": "li", "password": "lipassword"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.must_change_password
    assert browser.get(reverse("profile"))["Location"] == reverse("password_change")
    page = browser.get(reverse("password_change")).content.decode()
    assert "no longer meets the password rules" in page


def test_signing_in_with_a_good_password_asks_for_nothing():
    user = UserFactory(username="li")
    Client().post(reverse("login"), {"username": "li", "password": "pw-for-tests-2026"})
    user.refresh_from_db()
    assert not user.must_change_password
