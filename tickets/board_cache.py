"""The dispatch board's body (tabs, filters, rows, pickers, pages), rendered once per version of
what its scope holds and then kept for everyone who dispatches over the same areas (issue 27:
a warm board is one query, the tallies it counts from anyway).

The key holds:
- the version of the scope's requests, from the kept tallies (``selectors.kept_counts``): read
  before the requests, never after, so a body is never kept under a version newer than what it
  shows. A change made while the body renders gives it an older version than the next reader's:
  it is simply not found again;
- the dispatcher's areas (the page shows those, and offers their people);
- the whole address asked (tab, filters, search, page) and the language;
- the minute: rows fall overdue and the overdue tab fills with the clock, with no write. So a
  body is kept a minute at most, and the roster behind the pickers (posts, leaves, branches,
  each person's load outside the scope) is at most that far behind.

Only on the cache every process shares (``settings.SHARED_CACHE``), only where tallies are kept
(PostgreSQL). The cache away: every board renders afresh, as before.

The body carries no one's CSRF token: it is rendered with a placeholder that each response
replaces with its own user's.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

BODY_SECONDS = 60
# Changed with the body's template, so bodies rendered by the previous one are not shown.
TEMPLATE_VERSION = "1"
# Letters and digits only: the CSRF tag escapes its value, and this passes through unchanged.
CSRF_PLACEHOLDER = "csrfTokenOfTheViewer7d1f0c93b54e4a2b9c6e1f0a8d3b2c71"


def key(request, paths: list[str] | None, version: tuple[int, int] | None) -> str | None:
    """The body's cache key, or None where bodies are not kept."""
    if version is None or not getattr(settings, "SHARED_CACHE", False):
        return None
    scope = "*" if paths is None else ",".join(sorted(paths))
    asked = hashlib.sha256(f"{scope}\n{request.get_full_path()}".encode()).hexdigest()[:32]
    minute = int(timezone.now().timestamp() // 60)
    rows, newest = version
    return ":".join(
        [
            "tickets:board",
            TEMPLATE_VERSION,
            asked,
            str(rows),
            str(newest),
            str(minute),
            get_language() or "",
        ]
    )


def read(key: str | None) -> str | None:
    return cache.get(key) if key else None


def keep(key: str | None, body: str) -> None:
    if key:
        cache.set(key, body, BODY_SECONDS)


def signed(body: str, request) -> SafeString:
    """The body with the viewer's own CSRF token in its forms."""
    # Rendered by our own template, escaped there; the token is letters and digits.
    return mark_safe(body.replace(CSRF_PLACEHOLDER, get_token(request)))
