"""Redis down means slower, never broken: with the cache (sessions, the signed-in user, posts,
the bell, rows, bodies, rate limits) and the broker pointed at a port nothing listens on,
every page and submission still works from the database, and once Redis is back nothing it
kept from before the outage is believed over a change made during it."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

import pytest
from django.urls import reverse

from core import cache as pausing_cache
from core import sessions, versioned
from governance.celery import app
from grids.roles import Role
from grids.scope import active_posts
from tests.broker import drop_pools
from tests.factories import PostFactory
from tests.waiting import STALL_SECONDS
from tickets.models import Ticket
from visits.models import Visit, VisitKind

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

CLOSED = "redis://127.0.0.1:6390/0"  # nothing listens here: Redis "down"
PASSWORD = "pw-for-tests-2026"
REAL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def _cache_at(settings, url: str) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": settings.REDIS_CACHE_BACKEND,
            "LOCATION": url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }


@pytest.fixture
def redis(settings, shared_cache):
    """Production's arrangement (shared cache, cached_db sessions), switchable between the
    run's real Redis and a closed port; the broker is down whenever the cache is."""
    settings.SESSION_ENGINE = "core.sessions"
    eager, broker = app.conf.task_always_eager, app.conf.broker_url

    class Switch:
        def down(self):
            _cache_at(settings, CLOSED)
            app.conf.task_always_eager = False
            app.conf.broker_url = CLOSED
            drop_pools()

        def up(self):
            _cache_at(settings, REAL)
            app.conf.task_always_eager, app.conf.broker_url = eager, broker
            drop_pools()

    switch = Switch()
    yield switch
    switch.up()
    versioned._unsent.clear()
    pausing_cache.resume()
    sessions._unsynced.clear()
    shared_cache.clear()


def test_a_resident_submits_the_public_form_with_redis_down(
    client, redis, matter, territory, own_worker, caplog, django_capture_on_commit_callbacks
):
    """The rate limits fail open, and say so in the log; what the request enqueues on commit
    meets a broker that is down too, and the request stands."""
    redis.down()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("resident_request", kwargs={"code": "G1"}),
            {
                "matter": matter.pk,
                "description": "3幢楼道堆满纸箱，消防通道被堵",
                "address": "幸福花园3幢2单元",
                "reporter_name": "张阿姨",
                "reporter_phone": "13812345678",
                "website": "",
            },
            REMOTE_ADDR="10.0.0.1",
        )
    assert response.status_code == 302, response.content[:500]
    ticket = Ticket.objects.get()
    assert "not counted (cache unavailable)" in caplog.text
    assert client.get(response["Location"]).status_code == 200
    redis.up()
    assert client.get(f"/t/{ticket.tracking_token}/").status_code == 200


def test_a_user_signs_in_and_opens_pages_with_redis_down(client, redis, own_worker):
    redis.down()
    response = client.post(reverse("login"), {"username": "own_worker", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("my_visits")).status_code == 200
    assert client.get(reverse("ticket_board")).status_code == 200
    redis.up()  # the session lives in the database row, and Redis fills again
    assert client.get(reverse("my_visits")).status_code == 200
    assert client.get(reverse("my_visits")).status_code == 200


def test_a_worker_logs_a_visit_with_redis_down(client, redis, own_worker, household):
    client.force_login(own_worker)
    redis.down()
    data = {
        "client_id": str(uuid.uuid4()),
        "household": household.pk,
        "kind": VisitKind.ROUTINE,
        "findings": "一切正常",
        "tags": ["all_well"],
    }
    response = client.post(reverse("visit_submit"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    assert Visit.objects.filter(household=household).count() == 1


def test_an_officer_opens_the_board_and_a_dashboard_with_redis_down(
    client, redis, street_officer, territory, ticket
):
    client.force_login(street_officer)
    redis.down()
    assert client.get(reverse("ticket_board")).status_code == 200
    dashboard = reverse("dashboard", kwargs={"code": territory.street.code})
    assert client.get(dashboard).status_code == 200
    redis.up()
    assert client.get(reverse("ticket_board")).status_code == 200
    assert client.get(dashboard).status_code == 200


def test_a_change_made_while_redis_was_down_is_seen_once_it_is_back(
    client, redis, own_worker, territory
):
    client.force_login(own_worker)
    assert client.get(reverse("my_visits")).status_code == 200  # user and posts now cached
    assert client.get(reverse("my_visits")).status_code == 200
    redis.down()
    own_worker.language = "zh-hans"
    own_worker.save()
    PostFactory(user=own_worker, area=territory.neighbour_grid, role=Role.GRID_WORKER)
    redis.up()
    for _ in range(2):  # the first request back, and one served from the refilled cache
        user = client.get(reverse("my_visits")).wsgi_request.user
        assert user.language == "zh-hans"
        assert territory.neighbour_grid.pk in {post.area_id for post in active_posts(user)}


def test_signing_out_while_redis_is_down_holds_once_it_is_back(client, redis, own_worker):
    from django.test import Client

    client.post(reverse("login"), {"username": "own_worker", "password": PASSWORD})
    assert client.get(reverse("my_visits")).status_code == 200  # the session is in Redis
    copy = Client()
    copy.cookies = client.cookies.__class__(client.cookies)
    redis.down()
    assert client.post(reverse("logout")).status_code == 302
    redis.up()
    response = copy.get(reverse("my_visits"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def hung_redis():
    """A server that takes connections and never answers: a Redis that hangs (or a host
    that is gone), where every operation waits for its timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []

    def take():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=take, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0", accepted
    server.close()
    for conn in accepted:
        conn.close()


def test_a_hung_redis_costs_one_timeout_not_one_per_cache_call(
    client, redis, settings, own_worker, hung_redis, monkeypatch
):
    """Counted, not timed: a timed-out command closes its connection, so each further
    operation that went to Redis would open another; one connection is one timeout. The
    pause is stretched past however long the page takes on a loaded machine (2 s, and a
    page slower than that asked Redis again: a second connection, a failure); the wall
    time (under 1.5 s on an idle machine) says nothing a loaded one can be held to."""
    monkeypatch.setattr(pausing_cache, "PAUSE_SECONDS", STALL_SECONDS)
    url, accepted = hung_redis
    client.force_login(own_worker)
    _cache_at(settings, url)
    started = time.monotonic()
    assert client.get(reverse("my_visits")).status_code == 200
    elapsed = time.monotonic() - started
    assert len(accepted) == 1, "Redis asked again within the pause"
    assert elapsed >= settings.REDIS_CACHE_OPTIONS["SOCKET_TIMEOUT"]  # the one timeout paid
