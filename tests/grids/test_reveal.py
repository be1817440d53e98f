"""Revealing a full value: a reason from a short list, the password again once per
STEPUP_MINUTES, both in the audit entry; the same for the edit form."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from accounts import stepup
from core.history import history_for
from tests.stepup import confirm_password

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-2026"  # tests.factories.UserFactory


def _url(resident, field="phone"):
    return reverse("resident_reveal", kwargs={"pk": resident.pk, "field": field})


def _accesses():
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS)


def test_a_reveal_without_a_reason_is_refused(persona, client, resident):
    persona("own_worker")
    confirm_password(client)
    response = client.post(_url(resident), {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert resident.phone not in response.content.decode()
    assert 'name="reason"' in response.content.decode()
    assert not _accesses().exists()


def test_a_reason_not_on_the_list_is_refused(persona, client, resident):
    persona("own_worker")
    confirm_password(client)
    response = client.post(_url(resident), {"reason": "curiosity"})
    assert resident.phone not in response.content.decode()
    assert not _accesses().exists()


def test_with_a_reason_and_a_fresh_step_up_the_value_shows_and_the_reason_is_logged(
    persona, client, resident
):
    user = persona("own_worker")
    confirm_password(client)
    response = client.post(_url(resident), {"reason": "emergency"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert resident.phone in body
    assert 'name="password"' not in body
    entry = _accesses().get(actor=user)
    assert entry.additional_data["revealed"] == ["phone"]
    assert entry.additional_data["reason"] == "emergency"
    assert entry.additional_data["reauthenticated"] is False
    assert "stepup_at" in entry.additional_data
    # The household's history says why.
    change = history_for(resident)[0]
    assert change.reason == "Emergency"


def test_without_a_step_up_the_password_is_asked_and_logged_as_asked(persona, client, resident):
    user = persona("own_worker")
    asked = client.get(_url(resident)).content.decode()
    assert 'name="password"' in asked and resident.phone not in asked
    # The reason alone is not enough.
    refused = client.post(_url(resident), {"reason": "visit"}).content.decode()
    assert resident.phone not in refused and not _accesses().exists()
    shown = client.post(_url(resident), {"reason": "visit", "password": PASSWORD})
    assert resident.phone in shown.content.decode()
    entry = _accesses().get(actor=user)
    assert entry.additional_data["reauthenticated"] is True
    assert entry.additional_data["reason"] == "visit"
    # Within the window, the next reveal does not ask again.
    again = client.get(_url(resident, "id_number")).content.decode()
    assert 'name="password"' not in again


def test_a_stale_step_up_asks_for_the_password_again(persona, client, resident, time_machine):
    persona("own_worker")
    time_machine.move_to(timezone.now(), tick=False)
    confirm_password(client)
    assert 'name="password"' not in client.get(_url(resident)).content.decode()
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=16), tick=False)
    body = client.post(_url(resident), {"reason": "visit"}).content.decode()
    assert 'name="password"' in body
    assert resident.phone not in body
    assert not _accesses().exists()


def test_a_wrong_password_shows_nothing_and_counts_as_a_failed_attempt(persona, client, resident):
    persona("own_worker")
    body = client.post(_url(resident), {"reason": "visit", "password": "guess-1234"})
    assert resident.phone not in body.content.decode()
    assert "That is not your password." in body.content.decode()
    assert not _accesses().exists()
    assert AccessAttempt.objects.get(username="own_worker").failures_since_start == 1
    assert stepup.SESSION_KEY not in client.session


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused(
    persona, client, resident, settings
):
    settings.AXES_FAILURE_LIMIT = 2
    persona("own_worker")
    for _ in range(2):
        client.post(_url(resident), {"reason": "visit", "password": "guess-1234"})
    response = client.post(_url(resident), {"reason": "visit", "password": PASSWORD})
    assert resident.phone not in response.content.decode()
    assert not _accesses().exists()


def test_a_part_time_worker_gets_no_reveal_form(persona, client, resident):
    persona("part_time_worker")
    assert client.get(_url(resident)).status_code == 403


def test_the_edit_form_asks_a_reason_and_the_password_when_stale(persona, client, resident):
    user = persona("own_worker")
    url = reverse("resident_edit", kwargs={"pk": resident.pk})
    asked = client.get(url).content.decode()
    assert 'name="password"' in asked and resident.id_number not in asked
    shown = client.post(url, {"_open": "1", "reason": "verification", "password": PASSWORD})
    assert resident.id_number in shown.content.decode()
    entry = _accesses().get(actor=user)
    assert entry.additional_data["reason"] == "verification"
    assert entry.additional_data["reauthenticated"] is True


def test_the_history_shows_the_reason_of_a_reveal(persona, client, resident):
    persona("own_worker")
    confirm_password(client)
    client.post(_url(resident), {"reason": "verification"})
    page = client.get(reverse("household_detail", args=[resident.household.pk]))
    assert "Reason: Identity verification" in page.content.decode()
