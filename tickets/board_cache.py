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

Only on the cache every process shares, only where tallies are kept (PostgreSQL); reading,
keeping and signing a body with the viewer's CSRF token are ``core.kept_bodies``'s.
"""

from __future__ import annotations

from core import kept_bodies

# Changed with the body's template, so bodies rendered by the previous one are not shown.
TEMPLATE_VERSION = "1"


def key(request, paths: list[str] | None, version: tuple[int, int] | None) -> str | None:
    """The body's cache key, or None where bodies are not kept."""
    if version is None or not kept_bodies.enabled():
        return None
    scope = "*" if paths is None else ",".join(sorted(paths))
    rows, newest = version
    asked = kept_bodies.digest(scope, request.get_full_path())
    return kept_bodies.name("tickets:board", TEMPLATE_VERSION, asked, rows, newest)
