"""The Redis cache (django-redis) as the app relies on it: one client for every operation, and
Django's cache semantics for what core/versioned.py and the dashboards keep there."""

import datetime as dt

import pytest
import redis
from django_redis import get_redis_connection

pytestmark = pytest.mark.redis


def test_operations_reuse_one_client(shared_cache, monkeypatch):
    """Building a client per operation (Django's own Redis cache) cost more than the round
    trips on a signed-in page."""
    shared_cache.get("warm")
    made = []
    real = redis.Redis.__init__

    def counted(self, *args, **kwargs):
        made.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counted)
    for n in range(5):
        shared_cache.set(f"k{n}", n, 60)
        shared_cache.get_many([f"k{n}", "missing"])
        shared_cache.delete_many([f"k{n}"])
    assert made == []


def test_tuples_timeouts_and_prefixes_behave_as_djangos(shared_cache, settings):
    entry = ("a" * 32, dt.date(2026, 1, 1), [("幸福第一网格", 3)])
    shared_cache.set_many({"entry": entry, "count": 7}, timeout=None)
    shared_cache.set("brief", entry, 60)
    shared_cache.set("gone", entry, 0)
    assert shared_cache.get_many(["entry", "count", "brief", "gone"]) == {
        "entry": entry,
        "count": 7,
        "brief": entry,
    }
    raw = get_redis_connection("default")
    assert raw.ttl(":1:entry") == -1  # no expiry
    assert 0 < raw.ttl(":1:brief") <= 60
    assert raw.get(":1:count") == b"7"  # integers stay plain, so incr is atomic
    assert shared_cache.incr("count") == 8
    shared_cache.delete_many(["entry", "count", "brief"])
    assert shared_cache.get_many(["entry", "count", "brief"]) == {}

    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "p"}}
    from django.core.cache import cache

    cache.set("prefixed", 1)
    assert raw.get("p:1:prefixed") == b"1"
    cache.delete("prefixed")
