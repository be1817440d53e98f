"""Sessions end after 30 minutes without a request, 12 hours after the sign-in however busy,
when the account is deactivated, and when the user's last post ends (等保 2.0)."""

import datetime as dt
import io
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
from accounts import timeouts
from accounts.models import UserSession
from grids import services as grid_services
from grids.models import Post
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-2026"
START = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


def _signed_in(username: str) -> Client:
    browser = Client()
    response = browser.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response
    return browser


def _is_signed_in(browser: Client) -> bool:
    return browser.get(reverse("profile")).status_code == 200


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_29_minutes_without_a_request_keep_the_session_31_end_it(own_worker, clock):
    browser = _signed_in("own_worker")
    clock.shift(dt.timedelta(minutes=29))
    assert _is_signed_in(browser)
    clock.shift(dt.timedelta(minutes=29))  # 29 minutes after the last request: still fine
    assert _is_signed_in(browser)
    clock.shift(dt.timedelta(minutes=31))
    response = browser.get(reverse("profile") + "?tab=1")
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/accounts/profile/%3Ftab%3D1"
    page = browser.get(response["Location"])
    assert "You were signed out after 30 minutes without activity. Sign in again." in _messages(
        page
    )
    assert not UserSession.objects.filter(user=own_worker).exists()
    assert not _is_signed_in(browser)


def test_an_ordinary_request_writes_the_session_at_most_once_a_minute(own_worker, clock):
    browser = _signed_in("own_worker")
    key = browser.session.session_key
    store = import_module(settings.SESSION_ENGINE).SessionStore
    stamp = store(key).load()[timeouts.ACTIVITY_KEY]
    clock.shift(dt.timedelta(seconds=30))
    browser.get(reverse("profile"))
    assert store(key).load()[timeouts.ACTIVITY_KEY] == stamp
    clock.shift(dt.timedelta(seconds=31))
    browser.get(reverse("profile"))
    assert store(key).load()[timeouts.ACTIVITY_KEY] == stamp + 61


def test_typing_on_an_open_page_keeps_the_session(own_worker, clock):
    """static/js/keepalive.js asks for this while someone types, at most every 5 minutes."""
    browser = _signed_in("own_worker")
    for _ in range(6):
        clock.shift(dt.timedelta(minutes=25))
        assert browser.get(reverse("keep_alive")).status_code == 204
    assert _is_signed_in(browser)


def test_a_busy_session_still_ends_12_hours_after_the_sign_in(own_worker, clock):
    browser = _signed_in("own_worker")
    for _ in range(12 * 3 - 1):  # a request every 20 minutes for 11 h 40 min
        clock.shift(dt.timedelta(minutes=20))
        assert _is_signed_in(browser)
    clock.shift(dt.timedelta(minutes=20))
    response = browser.get(reverse("profile"))
    assert response.status_code == 302
    page = browser.get(response["Location"])
    assert "You were signed out 12 hours after signing in. Sign in again." in _messages(page)


def test_the_session_row_and_cookie_expire_at_the_absolute_end(own_worker, clock):
    browser = _signed_in("own_worker")
    store = import_module(settings.SESSION_ENGINE).SessionStore
    session = store(browser.session.session_key)
    session.load()
    assert session.get_expiry_date() == START + dt.timedelta(hours=12)
    clock.shift(dt.timedelta(minutes=20))
    assert _is_signed_in(browser)  # an activity write does not move the end
    session = store(browser.session.session_key)
    session.load()
    assert session.get_expiry_date() == START + dt.timedelta(hours=12)


def test_the_idle_limit_is_a_setting(own_worker, clock, settings):
    settings.SESSION_IDLE_MINUTES = 10
    browser = _signed_in("own_worker")
    clock.shift(dt.timedelta(minutes=11))
    response = browser.get(reverse("profile"))
    assert response.status_code == 302
    assert "10 minutes" in _messages(browser.get(response["Location"]))[0]


def test_an_htmx_request_after_the_limit_is_sent_to_the_sign_in_page(own_worker, clock):
    browser = _signed_in("own_worker")
    clock.shift(dt.timedelta(minutes=31))
    response = browser.get(
        reverse("account_sessions"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/accounts/profile/"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("login") + "?next=/accounts/profile/"


def test_a_queued_visit_posted_after_the_limit_is_answered_by_the_sign_in_page(
    own_worker, household, clock
):
    """The offline queue (static/js/visits.js) sends with XMLHttpRequest, which follows the
    redirect: the sign-in page, a 200 that is not its JSON, keeps the visit queued ("retry").
    Nothing is stored meanwhile, and no 401/403 would mark the visit refused."""
    from visits.models import Visit

    browser = _signed_in("own_worker")
    clock.shift(dt.timedelta(minutes=45))
    response = browser.post(
        reverse("visit_household", args=[household.pk]),
        {"findings": "queued on the stairs"},
        headers={"Accept": "application/json"},
        follow=True,
    )
    assert response.status_code == 200
    assert "json" not in response["Content-Type"]
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert Visit.objects.count() == 0


# --- Deactivation and the last post ------------------------------------------------------------


def _cached(browser: Client) -> bool:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    key = browser.session.session_key
    if settings.SESSION_ENGINE != "core.sessions":
        return store().exists(key)
    return cache.get(store(key).cache_key) is not None or store().exists(key)


def test_deactivation_ends_every_session_cached_copy_too(own_worker, street_officer):
    phone, desktop = _signed_in("own_worker"), _signed_in("own_worker")
    assert _cached(phone) and _cached(desktop)
    grid_services.set_person_active(by=street_officer, person=own_worker, active=False)
    assert not _cached(phone) and not _cached(desktop)
    assert not UserSession.objects.filter(user=own_worker).exists()
    assert not _is_signed_in(phone)


def test_ending_the_last_post_ends_the_sessions(own_worker, street_officer):
    phone = _signed_in("own_worker")
    post = Post.objects.get(user=own_worker)
    grid_services.end_post(by=street_officer, post=post)
    assert not _cached(phone)
    assert not _is_signed_in(phone)


def test_ending_one_post_of_two_keeps_the_sessions(own_worker, street_officer, territory):
    PostFactory(user=own_worker, area=territory.neighbour_grid, role=Post.Role.VOLUNTEER)
    phone = _signed_in("own_worker")
    first = Post.objects.filter(user=own_worker).order_by("pk").first()
    grid_services.end_post(by=street_officer, post=first)
    assert _is_signed_in(phone)


def test_a_post_ending_ahead_signs_out_on_the_night_it_ends(own_worker, street_officer):
    phone = _signed_in("own_worker")
    post = Post.objects.get(user=own_worker)
    ends = timezone.localdate() + dt.timedelta(days=3)
    grid_services.end_post(by=street_officer, post=post, ended_on=ends)
    assert _is_signed_in(phone)  # not yet
    call_command("end_sessions_after_last_post", stdout=io.StringIO())
    assert UserSession.objects.filter(user=own_worker).exists()
    with time_machine.travel(
        timezone.make_aware(dt.datetime.combine(ends, dt.time(0, 5))), tick=False
    ):
        from grids.tasks import end_sessions_after_last_post

        end_sessions_after_last_post.delay()
        assert not UserSession.objects.filter(user=own_worker).exists()
        # Signing in again afterwards is the officers' business (deactivate): the sweep
        # ends only the sessions begun before the post ended.
        later = _signed_in("own_worker")
        end_sessions_after_last_post.delay()
        assert UserSession.objects.filter(session_key=later.session.session_key).exists()


def test_the_end_all_sessions_service_names_its_reason_in_the_log(own_worker, caplog):
    _signed_in("own_worker")
    with caplog.at_level("INFO", logger="accounts.services"):
        assert account_services.end_all_sessions(user=own_worker, reason="audit") == 1
    assert "audit" in caplog.text


def test_a_session_idle_past_the_limit_is_not_listed_as_open(own_worker, clock):
    from accounts import signins

    _signed_in("own_worker")
    phone = _signed_in("own_worker")
    clock.shift(dt.timedelta(minutes=20))
    assert len(signins.open_sessions(own_worker)) == 2
    assert _is_signed_in(phone)  # the phone is in use, the other one is not
    clock.shift(dt.timedelta(minutes=20))
    assert [s.session_key for s in signins.open_sessions(own_worker)] == [phone.session.session_key]
