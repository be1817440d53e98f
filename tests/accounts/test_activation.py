"""One-time codes: activation of an account made for someone, and a forgotten password."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import OneTimeCode
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW = "Qinghu-river-2026"
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _no_ip_limit(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def newcomer():
    return services.create_account(username="newcomer", phone=PHONE, display_name="钱新")


@pytest.fixture
def officer():
    return UserFactory(username="officer")


def test_an_invitation_sends_a_link_and_a_code_stored_only_hashed(newcomer, officer, sms_log):
    invitation = services.invite(user=newcomer, by=officer)
    assert invitation.sms_sent
    (message,) = sms_log.messages()
    assert invitation.digits in message and "/accounts/activate/" in message
    assert PHONE not in message  # masked in the log
    code = OneTimeCode.objects.get(user=newcomer)
    assert code.purpose == OneTimeCode.Purpose.ACTIVATE and code.created_by == officer
    assert invitation.digits not in code.code_hash
    assert invitation.link.rsplit("/", 2)[-2] not in code.token_hash
    left = code.expires_at - code.created_at
    assert abs(left - services.ACTIVATION_VALID) < dt.timedelta(seconds=5)


def test_the_invitation_sms_carries_an_absolute_link_from_the_public_address(
    newcomer, officer, sms_log, settings
):
    settings.PUBLIC_BASE_URL = "https://grid.example.gov.cn"
    invitation = services.invite(user=newcomer, by=officer)
    (message,) = sms_log.messages()
    assert invitation.link.startswith("https://grid.example.gov.cn/accounts/activate/")
    assert invitation.link in message
    links = [word for word in message.split() if "/" in word]
    assert links and all(w.startswith("https://grid.example.gov.cn/") for w in links), message


def test_the_code_activates_once_and_signs_in(client, newcomer, officer, sms_log):
    services.invite(user=newcomer, by=officer)
    form = {"phone": "139 1234 5678", "code": sms_log.code(), "password": NEW, "password2": NEW}
    response = client.post(reverse("activate_code"), form)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW)
    assert client.get(reverse("profile")).status_code == 200  # signed in
    client.logout()
    again = client.post(
        reverse("activate_code"),
        {**form, "password": "Another-2026-x", "password2": "Another-2026-x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert again.status_code == 200 and "wrong or has expired" in again.content.decode()


def test_the_link_activates_and_dies_with_use(client, newcomer, officer, sms_log):
    services.invite(user=newcomer, by=officer)
    path = "/" + sms_log.link().split("/", 3)[-1] if "://" in sms_log.link() else sms_log.link()
    assert client.get(path).status_code == 200
    response = client.post(path, {"password": NEW, "password2": NEW})
    assert response.status_code == 302
    client.logout()
    assert "no longer works" in client.get(path).content.decode()


def test_a_weak_password_is_refused_and_the_code_kept(newcomer, officer, sms_log):
    services.invite(user=newcomer, by=officer)
    with pytest.raises(ValidationError):
        services.activate(phone=PHONE, code=sms_log.code(), password="123456")
    user = services.activate(phone=PHONE, code=sms_log.code(), password=NEW)
    assert user == newcomer


def test_a_code_expires(newcomer, officer, sms_log):
    services.invite(user=newcomer, by=officer)
    later = timezone.now() + services.ACTIVATION_VALID + dt.timedelta(minutes=1)
    with time_machine.travel(later), pytest.raises(ValidationError):
        services.activate(phone=PHONE, code=sms_log.code(), password=NEW)


def test_five_wrong_tries_kill_the_code(newcomer, officer, sms_log):
    services.invite(user=newcomer, by=officer)
    right = sms_log.code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(services.MAX_ATTEMPTS):
        with pytest.raises(ValidationError):
            services.activate(phone=PHONE, code=wrong, password=NEW)
    with pytest.raises(ValidationError):
        services.activate(phone=PHONE, code=right, password=NEW)
    assert not newcomer.has_usable_password()


def test_a_new_invitation_replaces_the_old_code(newcomer, officer, sms_log):
    services.invite(user=newcomer, by=officer)
    old = sms_log.code()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        services.invite(user=newcomer, by=officer)
        new = sms_log.code()
        if old != new:
            with pytest.raises(ValidationError):
                services.activate(phone=PHONE, code=old, password=NEW)
        services.activate(phone=PHONE, code=new, password=NEW)


def test_issuing_is_rate_limited_in_the_database(newcomer, officer, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    start = timezone.now()
    services.invite(user=newcomer, by=officer)
    with pytest.raises(services.TooManyCodes):
        services.invite(user=newcomer, by=officer)  # within the minute
    for minute in range(2, 2 * services.ISSUE_PER_HOUR, 2):
        with time_machine.travel(start + dt.timedelta(minutes=minute)):
            services.invite(user=newcomer, by=officer)
    with (
        time_machine.travel(start + dt.timedelta(minutes=30)),
        pytest.raises(services.TooManyCodes),
    ):
        services.invite(user=newcomer, by=officer)  # the sixth within the hour
    with time_machine.travel(start + dt.timedelta(minutes=61)):
        services.invite(user=newcomer, by=officer)


def test_an_activated_account_is_not_invited_again(officer):
    with pytest.raises(ValidationError):
        services.invite(user=officer, by=officer)


# --- Forgotten password --------------------------------------------------------------------


def test_a_forgotten_password_is_reset_by_sms_code(client, sms_log):
    UserFactory(username="forgetful", phone=PHONE)
    response = client.post(reverse("password_forgot"), {"login": "139-1234-5678"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_code")
    page = client.get(reverse("password_reset_code")).content.decode()
    assert 'value="139-1234-5678"' in page  # the login carried over
    form = {"login": "139-1234-5678", "code": sms_log.code(), "password": NEW, "password2": NEW}
    assert client.post(reverse("password_reset_code"), form).status_code == 302
    user = OneTimeCode.objects.get().user
    user.refresh_from_db()
    assert user.username == "forgetful" and user.check_password(NEW)


def test_the_forgot_page_answers_the_same_for_unknown_accounts(client, sms_log):
    UserFactory(username="known", phone=PHONE)
    known = client.post(reverse("password_forgot"), {"login": "known"}, follow=True)
    unknown = client.post(reverse("password_forgot"), {"login": "nobody"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert [str(m) for m in known.context["messages"]] == [
        str(m) for m in unknown.context["messages"]
    ]
    assert len(sms_log.messages()) == 1
    # A third request within the minute: refused silently, the same answer again.
    again = client.post(reverse("password_forgot"), {"login": "known"}, follow=True)
    assert again.status_code == 200 and len(sms_log.messages()) == 1


def test_a_reset_code_lives_thirty_minutes(sms_log):
    UserFactory(username="slow", phone=PHONE)
    services.request_password_reset(login="slow")
    with (
        time_machine.travel(timezone.now() + services.RESET_VALID + dt.timedelta(seconds=5)),
        pytest.raises(ValidationError),
    ):
        services.reset_password_with_code(login="slow", code=sms_log.code(), password=NEW)


def test_a_reset_is_audited_without_the_password(sms_log):
    from auditlog.models import LogEntry

    user = UserFactory(username="audited", phone=PHONE)
    services.request_password_reset(login="audited")
    services.reset_password_with_code(login="audited", code=sms_log.code(), password=NEW)
    changes = [e.changes_dict for e in LogEntry.objects.get_for_object(user)]
    assert {"password": ["", "reset code sent"]} in changes
    assert {"password": ["***", "reset by SMS code"]} in changes
    assert NEW not in str(changes)
