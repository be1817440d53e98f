"""The public forms' rate limits and their polite 429 page, one copy for every app.

Counts live in the cache (``RATELIMIT_USE_CACHE``); the client address is
``core.clientip.client_ip`` (``RATELIMIT_IP_META_KEY``), as for the sign-in lockout.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def too_many_requests(request, exception=None, retry_after: int | None = None):
    """The polite 429 page (also ``RATELIMIT_VIEW``): nothing was saved, come back later."""
    response = render(request, "429.html", status=429)
    if retry_after and retry_after > 0:
        response["Retry-After"] = str(retry_after)
    return response


def over_limit(request, group: str, rate: str, key, *, increment: bool) -> int | None:
    """Seconds to wait when ``key`` has used up ``rate`` in ``group``, else None.

    With ``increment`` this request counts; without, the count is only read (used for the
    mobile number, which counts requests actually filed, not attempts).
    """
    usage = get_usage(
        request,
        group=group,
        key=key,
        rate=rate,
        method="POST",
        increment=increment,
    )
    if usage is None:  # RATELIMIT_ENABLE = False, or the count failed (RATELIMIT_FAIL_OPEN)
        if getattr(settings, "RATELIMIT_ENABLE", True):
            logger.warning("rate limit %s not counted (cache unavailable): let through", group)
        return None
    over = usage["count"] > usage["limit"] if increment else usage["count"] >= usage["limit"]
    if usage["should_limit"] or over:
        return max(usage["time_left"], 1)
    return None


def ip_limit(request, group: str) -> int | None:
    """Seconds to wait when this address has sent ``PUBLIC_FORM_RATE_IP`` posts to ``group``."""
    return over_limit(request, group, settings.PUBLIC_FORM_RATE_IP, "ip", increment=True)
