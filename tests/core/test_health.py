import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError

from core.models import CalendarDay, Heartbeat
from governance.celery import app
from tests.broker import drop_pools


@pytest.fixture
def broker_up(settings):
    """The embedded filesystem broker is always reachable; tests of Redis live elsewhere."""
    previous = app.conf.broker_url
    if not previous.startswith(("redis", "filesystem")):
        pytest.skip("unexpected broker")
    yield
    app.conf.broker_url = previous


@pytest.mark.django_db
def test_healthz_is_degraded_but_200_before_the_first_beat_tick(client, broker_up):
    """A missing tick is no fault of this web node: a load balancer must keep it."""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["beat"] == {"ok": False, "last_tick": None}


@pytest.mark.django_db
def test_healthz_is_ok_after_a_tick_and_degraded_when_the_tick_is_stale(client, broker_up):
    # Next year's holidays are in: from November their absence is a warning of its own.
    next_year = dt.date.today().year + 1
    CalendarDay.objects.create(date=dt.date(next_year, 1, 1), is_workday=False, note="元旦")
    call_command("beat_tick", stdout=io.StringIO())
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok", response.json()
    assert response.json()["checks"]["beat"]["ok"] is True
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)):
        response = client.get("/healthz")
    assert (response.status_code, response.json()["status"]) == (200, "degraded")
    assert response.json()["checks"]["beat"]["ok"] is False


@pytest.mark.django_db
def test_healthz_reports_a_broker_that_does_not_answer_as_degraded(client):
    Heartbeat.objects.create(name="beat", at=dt.datetime.now(dt.UTC))
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    drop_pools()
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
        drop_pools()
    assert (response.status_code, response.json()["status"]) == (200, "degraded")
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.django_db
@pytest.mark.redis
def test_healthz_names_a_cache_that_does_not_answer_and_stays_200(client, settings, broker_up):
    Heartbeat.objects.create(name="beat", at=dt.datetime.now(dt.UTC))
    settings.CACHES = {
        "default": {
            "BACKEND": settings.REDIS_CACHE_BACKEND,
            "LOCATION": "redis://127.0.0.1:6390/0",  # nothing listens here
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    response = client.get("/healthz")
    assert (response.status_code, response.json()["status"]) == (200, "degraded")
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}


@pytest.mark.django_db
def test_healthz_is_503_unusable_when_the_database_does_not_answer(client, broker_up):
    from django.db import connection

    Heartbeat.objects.create(name="beat", at=dt.datetime.now(dt.UTC))

    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(refuse):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unusable"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}


@pytest.mark.django_db
def test_healthz_needs_no_login_and_shows_no_personal_data(client, resident, broker_up):
    call_command("beat_tick", stdout=io.StringIO())
    body = client.get("/healthz").content.decode()
    assert (
        resident.phone not in body and resident.id_number not in body and resident.name not in body
    )
