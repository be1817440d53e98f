"""accounts.stepup: the password confirmed again, for STEPUP_MINUTES, counted by axes."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.utils import timezone

from accounts import stepup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_of(client):
    def make(user):
        client.force_login(user)
        request = RequestFactory().post("/")
        request.user = user
        request.session = client.session
        return request

    return make


def test_a_confirmation_holds_for_the_window_then_lapses(request_of, settings, time_machine):
    settings.STEPUP_MINUTES = 15
    time_machine.move_to(timezone.now(), tick=False)
    request = request_of(UserFactory(username="clerk"))
    assert not stepup.is_fresh(request)
    assert stepup.confirm(request, "pw-for-tests-2026")
    assert stepup.is_fresh(request)
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=14, seconds=59), tick=False)
    assert stepup.is_fresh(request)
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=2), tick=False)
    assert not stepup.is_fresh(request)


def test_an_empty_password_is_refused_without_counting(request_of):
    request = request_of(UserFactory(username="clerk"))
    assert not stepup.confirm(request, "")
    assert not AccessAttempt.objects.exists()


def test_a_wrong_password_counts_and_a_right_one_forgives(request_of):
    request = request_of(UserFactory(username="clerk"))
    assert not stepup.confirm(request, "not-it-1234")
    assert AccessAttempt.objects.get(username="clerk").failures_since_start == 1
    assert stepup.confirm(request, "pw-for-tests-2026")
    assert not AccessAttempt.objects.filter(username="clerk").exists()
