import datetime as dt
from importlib import import_module

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts import signins
from accounts.devices import describe
from accounts.models import SignIn, UserSession
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-2026"
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
IPHONE_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Mobile/15E148 MicroMessenger/8.0.49"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)


def _signed_in(username: str, agent: str = ANDROID_CHROME, ip: str = "10.0.0.1") -> Client:
    browser = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    response = browser.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def _is_signed_in(browser: Client) -> bool:
    return browser.get(reverse("profile")).status_code == 200


def test_a_user_agent_is_summarised_as_browser_on_system():
    assert describe(ANDROID_CHROME) == "Chrome on Android"
    assert describe(IPHONE_WECHAT) == "WeChat on iPhone"
    assert describe(WINDOWS_EDGE) == "Edge on Windows"
    assert describe("") == "Unknown device"


def test_a_sign_in_is_recorded_with_its_device_and_address():
    user = UserFactory(username="wang")
    _signed_in("wang", ip="10.0.0.7")
    signin = SignIn.objects.get(user=user)
    assert signin.result == SignIn.Result.SUCCESS
    assert signin.ip == "10.0.0.7"
    assert signin.device == "Chrome on Android"


def test_wrong_passwords_from_one_address_are_one_row_with_a_count():
    user = UserFactory(username="wang")
    browser = Client(HTTP_USER_AGENT=WINDOWS_EDGE, REMOTE_ADDR="10.0.0.9")
    for _ in range(3):
        browser.post(reverse("login"), {"username": "wang", "password": "wrong"})
    failed = SignIn.objects.get(user=user)
    assert (failed.result, failed.attempts, failed.ip) == (SignIn.Result.FAILED, 3, "10.0.0.9")
    Client(REMOTE_ADDR="10.0.0.10").post(
        reverse("login"), {"username": "wang", "password": "wrong"}
    )
    assert SignIn.objects.filter(user=user).count() == 2


def test_a_failed_attempt_at_a_name_nobody_has_is_not_recorded(client):
    client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    assert not SignIn.objects.exists()


def test_attempts_refused_by_the_lockout_are_recorded_as_such(client):
    user = UserFactory(username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        client.post(reverse("login"), {"username": "target", "password": "wrong"})
    client.post(reverse("login"), {"username": "target", "password": PASSWORD})
    results = dict(SignIn.objects.filter(user=user).values_list("result", "attempts"))
    assert SignIn.Result.SUCCESS not in results
    assert results[SignIn.Result.LOCKED] >= 3
    assert sum(results.values()) == settings.AXES_FAILURE_LIMIT + 3


def test_the_history_page_shows_only_ones_own_sign_ins():
    UserFactory(username="wang")
    UserFactory(username="li")
    _signed_in("li", agent=WINDOWS_EDGE)
    browser = _signed_in("wang")
    Client().post(reverse("login"), {"username": "wang", "password": "wrong"})
    page = browser.get(reverse("account_signins")).content.decode()
    assert "Chrome on Android" in page
    assert "Wrong password" in page
    assert "Edge on Windows" not in page


def test_the_profile_links_to_the_history_and_the_sessions(client, own_worker):
    client.force_login(own_worker)
    page = client.get(reverse("profile")).content.decode()
    assert reverse("account_signins") in page
    assert reverse("account_sessions") in page


def test_the_sessions_page_lists_this_device_and_the_others():
    UserFactory(username="wang")
    _signed_in("wang", agent=WINDOWS_EDGE)
    phone = _signed_in("wang")
    page = phone.get(reverse("account_sessions")).content.decode()
    assert page.count("This device") == 1
    assert page.index("Chrome on Android") < page.index("Edge on Windows")
    assert page.count("btn-sm btn-outline-danger") == 1


def test_signing_out_all_other_sessions_ends_them_and_keeps_this_one():
    user = UserFactory(username="wang")
    desktop = _signed_in("wang", agent=WINDOWS_EDGE)
    laptop = _signed_in("wang", agent=WINDOWS_EDGE, ip="10.0.0.2")
    phone = _signed_in("wang")
    response = phone.post(reverse("account_sessions_end_others"))
    assert response.status_code == 302
    assert not _is_signed_in(desktop)
    assert not _is_signed_in(laptop)
    assert _is_signed_in(phone)
    assert UserSession.objects.filter(user=user).count() == 1


def test_ending_a_session_removes_its_cached_copy_too():
    UserFactory(username="wang")
    desktop = _signed_in("wang", agent=WINDOWS_EDGE)
    phone = _signed_in("wang")
    key = desktop.session.session_key
    store = import_module(settings.SESSION_ENGINE).SessionStore
    row = UserSession.objects.get(session_key=key)
    phone.post(reverse("account_session_end", kwargs={"pk": row.pk}))
    assert not store().exists(key)
    if settings.SESSION_ENGINE == "core.sessions":
        assert cache.get(store(key).cache_key) is None
    assert not UserSession.objects.filter(session_key=key).exists()
    assert not _is_signed_in(desktop)


def test_a_user_cannot_sign_out_someone_elses_session():
    UserFactory(username="wang")
    UserFactory(username="li")
    victim = _signed_in("li")
    attacker = _signed_in("wang")
    row = UserSession.objects.get(session_key=victim.session.session_key)
    response = attacker.post(reverse("account_session_end", kwargs={"pk": row.pk}))
    assert response.status_code == 404
    assert _is_signed_in(victim)


def test_the_current_session_is_not_ended_from_its_own_row():
    UserFactory(username="wang")
    phone = _signed_in("wang")
    row = UserSession.objects.get(session_key=phone.session.session_key)
    assert phone.post(reverse("account_session_end", kwargs={"pk": row.pk})).status_code == 404
    assert _is_signed_in(phone)


def test_signing_out_removes_the_sessions_row():
    user = UserFactory(username="wang")
    phone = _signed_in("wang")
    phone.post(reverse("logout"))
    assert not UserSession.objects.filter(user=user).exists()


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one():
    user = UserFactory(username="wang")
    desktop = _signed_in("wang", agent=WINDOWS_EDGE)
    phone = _signed_in("wang")
    response = phone.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-pw-for-2027",
            "new_password2": "a-new-pw-for-2027",
        },
    )
    assert response.status_code == 302
    assert _is_signed_in(phone)
    assert not _is_signed_in(desktop)
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [
        phone.session.session_key
    ]
    assert "This device" in phone.get(reverse("account_sessions")).content.decode()


def test_a_password_set_elsewhere_already_refuses_the_old_sessions():
    """Django's session hash: a session signed in with the old password is not believed."""
    user = UserFactory(username="wang")
    phone = _signed_in("wang")
    user.set_password("set-in-the-admin-2027")
    user.save()
    assert not _is_signed_in(phone)


def test_a_temporary_password_signs_the_person_out_everywhere(district_officer):
    user = UserFactory(username="wang")
    phone = _signed_in("wang")
    account_services.set_temporary_password(by=district_officer, user=user)
    assert not _is_signed_in(phone)
    assert not UserSession.objects.filter(user=user).exists()


def test_deactivating_an_account_ends_its_sessions(district_officer):
    user = UserFactory(username="wang")
    phone = _signed_in("wang")
    account_services.set_active(by=district_officer, user=user, active=False)
    assert not UserSession.objects.filter(user=user).exists()
    assert not _is_signed_in(phone)


def test_last_seen_is_written_at_most_every_few_minutes():
    UserFactory(username="wang")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        phone = _signed_in("wang")
        row = UserSession.objects.get(session_key=phone.session.session_key)
        clock.shift(dt.timedelta(seconds=signins.SEEN_EVERY - 10))
        phone.get(reverse("profile"))
        row.refresh_from_db()
        assert row.last_seen_at == start
        clock.shift(dt.timedelta(seconds=20))
        phone.get(reverse("profile"), REMOTE_ADDR="10.0.0.99")
        row.refresh_from_db()
        assert row.last_seen_at == start + dt.timedelta(seconds=signins.SEEN_EVERY + 10)
        assert row.ip == "10.0.0.99"


def test_an_ordinary_request_writes_no_session_row():
    UserFactory(username="wang")
    phone = _signed_in("wang")
    phone.get(reverse("profile"))
    before = UserSession.objects.get(session_key=phone.session.session_key).last_seen_at
    phone.get(reverse("account_signins"))
    assert UserSession.objects.get(session_key=phone.session.session_key).last_seen_at == before


def test_a_session_from_before_rows_were_kept_gets_one_on_its_next_request():
    user = UserFactory(username="wang")
    phone = _signed_in("wang")
    UserSession.objects.all().delete()
    session = phone.session
    session.pop(signins.SEEN_KEY)
    session.save()
    phone.get(reverse("profile"))
    assert UserSession.objects.filter(user=user, session_key=session.session_key).exists()


def test_the_purge_drops_old_sign_ins_and_ended_sessions():
    user = UserFactory(username="wang")
    now = timezone.now()
    SignIn.objects.create(user=user, at=now - dt.timedelta(days=181), result="success")
    kept = SignIn.objects.create(user=user, at=now - dt.timedelta(days=179), result="success")
    UserSession.objects.create(user=user, session_key="gone" * 8, started_at=now, last_seen_at=now)
    phone = _signed_in("wang")
    call_command("purge_signins")
    assert set(SignIn.objects.filter(at__lt=now)) == {kept}
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        phone.session.session_key
    ]


def test_the_purge_is_a_periodic_job():
    from governance.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "accounts.tasks.purge_signins" in tasks


def test_the_sessions_page_reads_a_fixed_number_of_queries(
    client, own_worker, django_assert_max_num_queries
):
    now = timezone.now()
    client.force_login(own_worker)
    client.get(reverse("account_sessions"))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for _ in range(50):
        session = store()
        session.create()
        UserSession.objects.create(
            user=own_worker, session_key=session.session_key, started_at=now, last_seen_at=now
        )
        SignIn.objects.create(user=own_worker, at=now, result="success")
    with django_assert_max_num_queries(8):
        page = client.get(reverse("account_sessions")).content.decode()
    assert page.count("btn-sm btn-outline-danger") == 50
    with django_assert_max_num_queries(8):
        assert client.get(reverse("account_signins")).status_code == 200
