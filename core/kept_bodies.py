"""Rendered page bodies kept in the cache every process shares, under a key that names
everything they show (the board: ``tickets.board_cache``; a request's page:
``tickets.page_cache``).

A body is rendered with a placeholder for the CSRF token, and each response puts its own
user's token there (``signed``), so no one's token is kept. A key is None where bodies are
not kept (no shared cache: a per-process cache would show one process's changes to it
alone); then ``read`` finds nothing and ``keep`` keeps nothing. Redis away: django-redis
answers None and drops the write, so every page renders afresh.

Bodies live a minute at most, and their keys hold the minute: rows fall overdue with the
clock and no write, and what the key does not name (a department's load in a picker, a
colleague's leave) is then at most a minute behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

T = TypeVar("T")

SECONDS = 60
# Every kept body's key starts with it (the tests forget them all between tests at once).
PREFIX = "kept:"
# Letters and digits only: the CSRF tag escapes its value, and this passes through unchanged.
CSRF_PLACEHOLDER = "csrfTokenOfTheViewer7d1f0c93b54e4a2b9c6e1f0a8d3b2c71"


def enabled() -> bool:
    return bool(getattr(settings, "SHARED_CACHE", False))


def with_triggers() -> bool:
    """Whether bodies versioned by PostgreSQL's triggers are kept (elsewhere no trigger moves
    their versions)."""
    return connection.vendor == "postgresql" and enabled()


def minute() -> int:
    return int(timezone.now().timestamp() // 60)


def digest(*texts) -> str:
    """A short name for what a body shows that is too long for a key (scopes, addresses)."""
    return hashlib.sha256("\n".join(str(text) for text in texts).encode()).hexdigest()[:32]


def name(kind: str, template_version: str, *parts) -> str:
    """A kept body's key: its kind, its template's version, what names it, then the minute
    and the language, which every kept body depends on."""
    named = (str(part) for part in parts)
    return ":".join([PREFIX + kind, template_version, *named, str(minute()), get_language() or ""])


def read(key: str | None):
    return cache.get(key) if key else None


def keep(key: str | None, body) -> None:
    if key:
        cache.set(key, body, SECONDS)


def kept_or(key: str | None, render: Callable[[], T]) -> T:
    """The body kept under ``key``, else ``render()``'s, kept there for the next reader."""
    body = read(key)
    if body is None:
        body = render()
        keep(key, body)
    return body


def signed(body: str, request) -> SafeString:
    """The body with the viewer's own CSRF token in its forms."""
    # Rendered by our own templates, escaped there; the token is letters and digits.
    return mark_safe(body.replace(CSRF_PLACEHOLDER, get_token(request)))
