"""Idle and absolute session timeouts (等保 2.0: a session ends after a period without use).

A signed-in session ends ``SESSION_IDLE_MINUTES`` after its last request and
``SESSION_ABSOLUTE_HOURS`` after the sign-in, however busy. Everyone who signs in here is
staff (residents have no accounts), so the rule holds for every account.

Both times ride in the session, which every signed-in request reads anyway. The time of the
last request is written at most once per ``ACTIVITY_EVERY`` seconds, so an ordinary request
costs no session write; the idle limit is exact to within that minute. The session row and
cookie expire at the absolute end (set at sign-in), so an abandoned session's row goes by
itself.

A request that arrives after the end is signed out and sent to the sign-in page with ``next``
and a message; an htmx request gets ``HX-Redirect``. A visit queued offline (static/js/
visits.js) that is posted then follows the redirect to the sign-in page, which it takes for
"not yet" and keeps the visit queued until the worker has signed in again. Typing on an open
page counts as activity (static/js/keepalive.js asks for ``keep_alive`` at most every 5
minutes while someone types), so a long form is not refused when it is finally sent.
"""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, resolve_url
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect

SIGNED_IN_KEY = "_accounts_signed_in"  # unix time of the sign-in
ACTIVITY_KEY = "_accounts_active"  # unix time of the last request, to within ACTIVITY_EVERY
ACTIVITY_EVERY = 60


def idle_seconds() -> int:
    return settings.SESSION_IDLE_MINUTES * 60


def absolute_seconds() -> int:
    return settings.SESSION_ABSOLUTE_HOURS * 3600


def started(session) -> None:
    """At sign-in (accounts.signins.logged_in): the clock starts, and the row and cookie
    expire at the absolute end."""
    now = int(time.time())
    session[SIGNED_IN_KEY] = now
    session[ACTIVITY_KEY] = now
    session.set_expiry(timezone.now() + dt.timedelta(seconds=absolute_seconds()))


def ended_by(session, now: int) -> str | None:
    """ "idle", "absolute" or None; a session from before these keys starts its clock now."""
    signed_in = session.get(SIGNED_IN_KEY)
    active = session.get(ACTIVITY_KEY)
    if signed_in is None or active is None:
        session[SIGNED_IN_KEY] = signed_in or now
        session[ACTIVITY_KEY] = now
        return None
    if now - signed_in >= absolute_seconds():
        return "absolute"
    idle = idle_seconds()
    if idle and now - active >= idle:
        return "idle"
    if now - active >= ACTIVITY_EVERY:
        session[ACTIVITY_KEY] = now
    return None


def _message(reason: str) -> str:
    if reason == "idle":
        minutes = idle_seconds() // 60
        return ngettext(
            "You were signed out after %(n)d minute without activity. Sign in again.",
            "You were signed out after %(n)d minutes without activity. Sign in again.",
            minutes,
        ) % {"n": minutes}
    hours = absolute_seconds() // 3600
    return ngettext(
        "You were signed out %(n)d hour after signing in. Sign in again.",
        "You were signed out %(n)d hours after signing in. Sign in again.",
        hours,
    ) % {"n": hours}


def _local_path(request, url: str) -> str:
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _next(request) -> str:
    """Where to come back to: this page, or for a form sent or an htmx request, the page it
    was sent from (a POST's address may not answer a GET)."""
    if request.headers.get("HX-Request"):
        return _local_path(request, request.headers.get("HX-Current-URL", ""))
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    return _local_path(request, request.headers.get("Referer", ""))


class SessionTimeoutMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware, before anything that uses the
    signed-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = ended_by(request.session, int(time.time()))
            if reason:
                return self._signed_out(request, user, reason)
        return self.get_response(request)

    def _signed_out(self, request, user, reason: str):
        nxt = _next(request)
        logout(request)  # the row, its cached copy and the UserSession row go
        with translation.override(user.language or translation.get_language()):
            messages.info(request, _message(reason))
        login_url = resolve_url(settings.LOGIN_URL)
        if nxt:
            login_url = redirect_to_login(nxt)["Location"]
        if request.headers.get("HX-Request"):
            return HttpResponseClientRedirect(login_url)
        return redirect(login_url)
