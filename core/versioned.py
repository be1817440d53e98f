"""Values kept in the shared cache under a version token, for facts read on every page.

A fact (a user's posts, their unread count) is cached together with the token of its
version key as it was *before* the database was read. A change sets a new token: now, so
the changing request sees it, and again on commit, so that a request which read the old
rows in between and cached them under the first new token is not believed either. An
entry whose token is not the current one is never used, so a lost, evicted or late write
can only cost a query, never serve an old fact.

Redis down (django-redis ignores its errors, settings.REDIS_CACHE_OPTIONS): a token reads as
None, which matches no entry, so every fact comes from the database. A bump that could not be
written is kept in this process and written as soon as Redis answers again, before this
process reads or bumps anything else; entries live only ``SECONDS``, which bounds what another
process could believe if this one died first.

Only on a cache every process shares (Redis, ``settings.SHARED_CACHE``): a per-process
cache would leave a change made in one process unseen by the others. Elsewhere every
function here is inert and callers read the database.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

SECONDS = 120
_FOUND_ATTR = "_versioned_found"
# A Redis that refused a bump is not asked again sooner than this, so pages stay fast.
RETRY_SECONDS = 1.0

_unsent: set[str] = set()
_unsent_lock = threading.Lock()
_retry_at = 0.0
# Bumps made by this thread: what was read from the cache before one is not believed after.
_bumps = threading.local()


def enabled() -> bool:
    return bool(getattr(settings, "SHARED_CACHE", False))


def _token() -> str:
    return uuid.uuid4().hex


def _write_tokens(keys: Iterable[str]) -> bool:
    """New tokens under ``keys``; False (and the keys kept for later) if Redis did not take
    them. Through django-redis's client, which raises where the cache would stay silent."""
    global _retry_at
    keys = set(keys)
    try:
        cache.client.set_many({key: _token() for key in keys}, timeout=None)
    except Exception:  # ConnectionInterrupted and anything under it: Redis is away
        with _unsent_lock:
            _unsent.update(keys)
            _retry_at = time.monotonic() + RETRY_SECONDS
        logger.warning(
            "versions of %d cached facts not renewed; kept until Redis answers", len(keys)
        )
        return False
    return True


def resend() -> bool:
    """Write the bumps Redis refused earlier; True when none is left over."""
    if not _unsent:
        return True
    with _unsent_lock:
        if time.monotonic() < _retry_at:
            return False
        keys = set(_unsent)
        _unsent.clear()
    return _write_tokens(keys)


def bump(keys: Iterable[str]) -> None:
    """The facts behind ``keys`` changed (call inside the changing transaction)."""
    keys = list(keys)
    if not enabled() or not keys:
        return
    _bumps.count = getattr(_bumps, "count", 0) + 1
    resend()
    _write_tokens(keys)
    transaction.on_commit(lambda: _write_tokens(keys))


def current(key: str, found: dict[str, Any] | None = None) -> str:
    """The version token under ``key`` (taken from ``found`` when the caller read it), made
    if the cache has lost it. Read it before the database, never after."""
    token = (found or {}).get(key) or cache.get(key)
    if token is None:
        cache.add(key, _token(), timeout=None)
        token = cache.get(key)
    return token


def valid(entry: Any, token: str | None, *extra: Any) -> Any:
    """The value of a cached ``(token, *extra, value)`` entry if it carries ``token`` and
    ``extra``; else None."""
    if token is None or not isinstance(entry, tuple) or len(entry) != 2 + len(extra):
        return None
    if entry[0] != token or tuple(entry[1:-1]) != extra:
        return None
    return entry[-1]


def remember(key: str, token: str | None, value: Any, *extra: Any) -> None:
    if token is not None and None not in extra:  # None: Redis did not answer
        cache.set(key, (token, *extra, value), SECONDS)


def read(
    version_key: str,
    key: str,
    load: Callable[[], Any],
    *extra: Any,
    found: dict[str, Any] | None = None,
) -> Any:
    """The value under ``key`` if it was cached under the current token of ``version_key``
    (and ``extra``), else ``load()``, remembered unless None. ``found`` is what the caller
    already read from the cache; without it both keys are read in one round trip."""
    if _unsent:
        # A change this process made is not (or only now) in Redis: what the caller read
        # from the cache may predate it, so this once the database answers.
        resend()
        return load()
    if found is None:
        found = cache.get_many([version_key, key])
    token = current(version_key, found)
    value = valid(found.get(key), token, *extra)
    if value is None:
        value = load()
        if value is not None:
            remember(key, token, value, *extra)
    return value


def take_found(user, found: dict[str, Any]) -> None:
    """Keep on the request's user what was read in one ``cache.get_many`` with the keys of
    ``grids.scope.posts_cache_keys`` and ``notifications.bell.cache_keys`` (every signed-in
    request's, in ``accounts.backends``; the dashboards' with their own), so the readers of
    those facts need no round trip of their own. A bump made by this thread afterwards (a
    POST that changed them) makes them read the cache again."""
    if enabled() and getattr(user, "is_authenticated", False):
        setattr(user, _FOUND_ATTR, (getattr(_bumps, "count", 0), found))


def found_on(user) -> dict[str, Any] | None:
    kept = getattr(user, _FOUND_ATTR, None)
    if kept is None or kept[0] != getattr(_bumps, "count", 0):
        return None
    return kept[1]


def forget_found(user) -> None:
    if hasattr(user, _FOUND_ATTR):
        delattr(user, _FOUND_ATTR)
