"""The django-redis cache, with a short memory of a Redis that did not answer.

django-redis already turns a failed operation into a miss or a skipped write
(``IGNORE_EXCEPTIONS``), but each operation still waits for its own connect or read timeout:
a page makes several, so a hung Redis would cost seconds a page. After a failure this process
stops asking the same Redis for ``PAUSE_SECONDS``: the operations fail at once, as if Redis
had refused them, and the callers fall back to the database as they do then.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import redis
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

from core import observe

PAUSE_SECONDS = 2.0

# The data operations of django-redis's client; get_client and the rest pass through, so
# /healthz still asks Redis itself.
_OPERATIONS = frozenset(
    {
        "add",
        "decr",
        "delete",
        "delete_many",
        "delete_pattern",
        "expire",
        "get",
        "get_many",
        "has_key",
        "incr",
        "persist",
        "set",
        "set_many",
        "touch",
        "ttl",
    }
)

_paused_until: dict[str, float] = {}
_lock = threading.Lock()


def paused(server: str) -> bool:
    return time.monotonic() < _paused_until.get(server, 0.0)


def resume(server: str | None = None) -> None:
    """Ask Redis again at once (tests, and after an operator's fix)."""
    with _lock:
        if server is None:
            _paused_until.clear()
        else:
            _paused_until.pop(server, None)


class _PausingClient:
    def __init__(self, client: Any, server: str) -> None:
        self._client = client
        self._server = server

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in _OPERATIONS:
            return attribute

        def operation(*args, **kwargs):
            if paused(self._server):
                raise ConnectionInterrupted(connection=None) from redis.ConnectionError(
                    "not asked: Redis failed a moment ago"
                )
            start = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            except ConnectionInterrupted:
                with _lock:
                    _paused_until[self._server] = time.monotonic() + PAUSE_SECONDS
                raise
            finally:
                # The request's cache time (core.observe): every Redis round trip passes here.
                observe.add_cache_time(time.perf_counter() - start)

        return operation


class PausingRedisCache(RedisCache):
    @property
    def client(self):
        return _PausingClient(super().client, self._server)
