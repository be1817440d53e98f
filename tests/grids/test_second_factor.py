"""Whoever may see personal data in full, or export long lists of it, must have a second factor
(SECOND_FACTOR_FOR_PERSONAL_DATA, on in production): without an authenticator they are asked to
set one up and see nothing; with one, stepping up asks its code besides the password."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from grids.models import ExportApproval
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-2026"  # tests.factories.UserFactory


@pytest.fixture(autouse=True)
def _rule_on(settings):
    settings.SECOND_FACTOR_FOR_PERSONAL_DATA = True


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    )


def _reveal(resident):
    return reverse("resident_reveal", kwargs={"pk": resident.pk, "field": "phone"})


def _accesses():
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS)


def test_the_rule_covers_who_may_reveal_or_export_and_no_one_else(
    own_worker, part_time_worker, district_officer, settings
):
    assert twofactor.required_for(own_worker)
    assert twofactor.required_for(district_officer)
    settings.SECOND_FACTOR_FOR_PERSONAL_DATA = False
    assert not twofactor.required_for(own_worker)


def test_without_an_authenticator_the_reveal_form_asks_to_set_one_up_and_shows_nothing(
    client, own_worker, resident
):
    client.force_login(own_worker)
    asked = client.get(_reveal(resident)).content.decode()
    assert reverse("two_factor_setup") in asked and 'name="password"' not in asked
    response = client.post(_reveal(resident), {"reason": "visit", "password": PASSWORD})
    body = response.content.decode()
    assert resident.phone not in body
    assert "Set up two-step sign-in first" in body
    assert not _accesses().exists()


def test_with_an_authenticator_the_code_is_asked_and_a_wrong_one_shows_nothing(
    client, own_worker, resident, time_machine
):
    device = _device(own_worker)
    client.force_login(own_worker)
    asked = client.get(_reveal(resident)).content.decode()
    assert 'name="code"' in asked and 'name="password"' in asked
    wrong = client.post(
        _reveal(resident), {"reason": "visit", "password": PASSWORD, "code": "000000"}
    )
    assert resident.phone not in wrong.content.decode()
    assert "the code is wrong" in wrong.content.decode()
    no_code = client.post(_reveal(resident), {"reason": "visit", "password": PASSWORD})
    assert resident.phone not in no_code.content.decode()
    assert not _accesses().exists()
    # A wrong code makes the next one wait (django-otp's throttle).
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=1), tick=False)
    shown = client.post(
        _reveal(resident), {"reason": "visit", "password": PASSWORD, "code": _code(device)}
    )
    assert resident.phone in shown.content.decode()
    entry = _accesses().get(actor=own_worker)
    assert entry.additional_data["reauthenticated"] is True


def test_a_right_code_without_the_password_shows_nothing(client, own_worker, resident):
    device = _device(own_worker)
    client.force_login(own_worker)
    response = client.post(
        _reveal(resident), {"reason": "visit", "password": "guess-12345", "code": _code(device)}
    )
    assert resident.phone not in response.content.decode()
    assert not _accesses().exists()


def test_a_long_export_without_an_authenticator_is_neither_asked_for_nor_downloaded(
    client, community_officer, household, settings, territory
):
    settings.EXPORT_APPROVAL_ROWS = 3
    for _ in range(4):
        ResidentFactory(household=household)
    url = reverse("household_export", kwargs={"code": territory.community.code})
    client.force_login(community_officer)
    page = client.get(url)
    assert not page.streaming
    body = page.content.decode()
    assert 'data-testid="needs-second-factor"' in body and 'name="reason"' not in body
    client.post(url, {"reason": "走访名单核对"})
    assert not ExportApproval.objects.exists()
    _device(community_officer)
    assert 'name="reason"' in client.get(url).content.decode()


def test_the_export_services_refuse_a_long_list_without_an_authenticator_too(
    community_officer, territory
):
    """Not only the page: the services every entry point calls hold the rule."""
    from django.core.exceptions import PermissionDenied

    from grids import exports

    with pytest.raises(PermissionDenied):
        exports.request_export(
            by=community_officer,
            kind="residents",
            area=territory.community,
            path="/",
            query="",
            rows=500,
            reason="核对",
        )
    assert not ExportApproval.objects.exists()
    _device(community_officer)
    asked = exports.request_export(
        by=community_officer,
        kind="residents",
        area=territory.community,
        path="/",
        query="",
        rows=500,
        reason="核对",
    )
    assert asked.status == ExportApproval.Status.PENDING
