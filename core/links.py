"""Absolute addresses for what leaves the site without a request: SMS, email, robots' cards.

A text message read on a phone cannot follow ``/tickets/…``; every link in one is built here
from ``settings.PUBLIC_BASE_URL``, the one place the site's public address is configured.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks


def absolute(path: str) -> str:
    """``path`` on the public site; an address that is already absolute is returned as it is."""
    if not path.startswith("/") or path.startswith("//"):
        return path
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


@checks.register(checks.Tags.security, deploy=True)
def check_public_base_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # Links in text messages are read on phones outside the office: an http:// or local
    # address there is either unsafe or unreachable.
    if settings.PUBLIC_BASE_URL.startswith("https://"):
        return []
    return [
        checks.Warning(
            f"PUBLIC_BASE_URL is {settings.PUBLIC_BASE_URL!r}: links in SMS and email would "
            "not reach residents.",
            hint="Set PUBLIC_BASE_URL to the site's public https:// address.",
            id="core.W001",
        )
    ]
