"""The sign-in lockout behind the reverse proxy: per client, of fixed length, with Retry-After."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-2026"
PROXY = "10.0.0.1"
STRANGER = "203.0.113.9"
OWNER = "198.51.100.7"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def behind_proxy(settings):
    """The documented deployment: nginx in front, naming the client in X-Forwarded-For."""
    settings.CLIENT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"


def sign_in(client, password, forwarded_for):
    return client.post(
        reverse("login"),
        {"username": "district", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def lock_out(client, settings, forwarded_for=STRANGER):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, "wrong", forwarded_for)
    assert response.status_code == 429
    return response


def test_a_stranger_behind_the_proxy_does_not_lock_the_owner_out(client, settings, behind_proxy):
    UserFactory(username="district")
    lock_out(client, settings)
    assert sign_in(client, PASSWORD, STRANGER).status_code == 429
    assert sign_in(client, PASSWORD, OWNER).status_code == 302


def test_a_forged_forwarded_for_entry_counts_against_the_address_the_proxy_saw(
    client, settings, behind_proxy
):
    # nginx appends the address it saw to whatever the client sent: only the last entry is true.
    UserFactory(username="district")
    lock_out(client, settings, forwarded_for=f"{OWNER}, {STRANGER}")
    assert sign_in(client, PASSWORD, STRANGER).status_code == 429
    assert sign_in(client, PASSWORD, OWNER).status_code == 302


def test_attempts_during_a_lockout_do_not_extend_it(client, settings, behind_proxy):
    UserFactory(username="district")
    with time_machine.travel(START, tick=False) as clock:
        lock_out(client, settings)
        for _ in range(3):
            clock.shift(timedelta(minutes=4))
            assert sign_in(client, "wrong", STRANGER).status_code == 429
        clock.move_to(START + settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
        assert sign_in(client, PASSWORD, STRANGER).status_code == 429
        clock.move_to(START + settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert sign_in(client, PASSWORD, STRANGER).status_code == 302


def test_the_lockout_says_when_to_come_back(client, settings, behind_proxy):
    UserFactory(username="district")
    with time_machine.travel(START, tick=False) as clock:
        first = lock_out(client, settings)
        assert first["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
        assert b"15 minutes" in first.content
        clock.shift(timedelta(minutes=10, seconds=30))
        later = sign_in(client, PASSWORD, STRANGER)
    assert later.status_code == 429
    assert later["Retry-After"] == "270"
    assert b"Try again in 5 minutes" in later.content
