"""Django's cached_db sessions, kept true across a Redis outage.

With django-redis ignoring its errors (settings.REDIS_CACHE_OPTIONS) a failed read already
falls back to the database row and a failed write still saves the row. What that leaves is
a cached copy older than the row: a session signed out or changed while Redis was away
would come back from the cache once Redis returned. So a cache write or delete that fails
is remembered in this process, and the next session this process loads first removes those
copies from Redis (reading the database meanwhile). Another process could still read such a
copy until then; the copy never outlives the session's own expiry.
"""

from __future__ import annotations

import logging
import threading

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

logger = logging.getLogger(__name__)

_unsynced: set[str] = set()  # cache keys whose copy may be older than the database row
_lock = threading.Lock()


def _strict(cache):
    """django-redis's client raises where the cache itself stays silent."""
    return getattr(cache, "client", cache)


class SessionStore(cached_db.SessionStore):
    def _remember(self, key: str) -> None:
        with _lock:
            _unsynced.add(key)
        logger.warning("session cache not updated (Redis unavailable); the database row stands")

    def _forget_unsynced(self) -> bool:
        """True when Redis holds no copy older than its row (as far as this process knows)."""
        if not _unsynced:
            return True
        with _lock:
            keys = list(_unsynced)
            _unsynced.clear()
        try:
            _strict(self._cache).delete_many(keys)
        except Exception:  # still away: keep them for the next try
            with _lock:
                _unsynced.update(keys)
            return False
        return True

    def load(self):
        if not self._forget_unsynced():
            return DBStore.load(self)
        return super().load()

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        try:
            _strict(self._cache).set(self.cache_key, self._session, self.get_expiry_age())
        except Exception:  # Redis away: the row is saved, the old copy must go later
            self._remember(self.cache_key)

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        key = self.cache_key_prefix + session_key
        try:
            _strict(self._cache).delete(key)
        except Exception:  # Redis away: the row is gone, the copy must go later
            self._remember(key)
