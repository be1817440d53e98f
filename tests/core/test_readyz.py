"""/readyz: may a load balancer send this node traffic? Only with a database that answers and
has every migration applied; Redis away makes it slower, not unready."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder

from core import cache as pausing_cache
from core import health

pytestmark = pytest.mark.django_db

CLOSED = "redis://127.0.0.1:6390/0"  # nothing listens here: Redis "down"


@pytest.fixture(autouse=True)
def _ask_again():
    """Each test starts without the process's memory of an earlier positive answer."""
    health._migrated = False
    yield
    health._migrated = False
    pausing_cache.resume()


def test_readyz_is_200_with_the_database_up_and_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"] == {"ok": True}
    assert "degraded" not in body


def test_readyz_is_503_when_the_database_does_not_answer(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(refuse):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}


def test_readyz_is_503_while_a_migration_is_not_applied(client):
    # As on a node started before `migrate` finished (the row goes with the test's rollback).
    MigrationRecorder.Migration.objects.filter(app="core").order_by("-id").first().delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "unapplied": 1}


def test_readyz_remembers_a_migrated_database(client, django_assert_max_num_queries):
    assert client.get("/readyz").status_code == 200
    # Afterwards: the probe of the database, and no reading of the migration table.
    with django_assert_max_num_queries(1):
        assert client.get("/readyz").status_code == 200


@pytest.mark.redis
def test_readyz_stays_200_with_redis_down_and_says_it_is_degraded(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": settings.REDIS_CACHE_BACKEND,
            "LOCATION": CLOSED,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["cache"]["ok"] is False
    assert "Redis" in body["degraded"]


def test_readyz_and_healthz_need_no_login_and_are_never_cached(client):
    for url in ("/readyz", "/healthz"):
        response = client.get(url)
        assert response.status_code in (200, 503)
        assert "no-cache" in response["Cache-Control"]
