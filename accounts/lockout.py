"""The page a locked-out sign-in gets (``AXES_LOCKOUT_CALLABLE``): how long is left, in words
and in ``Retry-After``.

Attempts during a lockout are not recorded (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``
off), so a lockout ends one cool-off after the failure that caused it, and the time left is
counted from that failure, not from this request.
"""

from __future__ import annotations

import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render


def seconds_left(request, credentials) -> int:
    """Whole seconds until this client may try again (at least 1)."""
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, credentials)
    ends = []
    for attempts in AxesProxyHandler.get_implementation().get_user_attempts(request, credentials):
        tally = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if (tally["failures"] or 0) >= limit:
            ends.append(tally["last"] + cool_off)
    if not ends:  # unlocked meanwhile (an administrator): the next attempt will tell
        return 1
    return max(math.ceil((max(ends) - request.axes_attempt_time).total_seconds()), 1)


def locked_out(request, original_response=None, credentials=None):
    seconds = seconds_left(request, credentials)
    response = render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"minutes": math.ceil(seconds / 60)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(seconds)
    return response
