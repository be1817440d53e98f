"""Step-up: the password asked again before a sensitive act (revealing a full ID number).

A confirmation holds for ``STEPUP_MINUTES`` and rides in the session, so it ends with the
session (signing out, a password change elsewhere). The password is checked through
``django.contrib.auth.authenticate``, with django-axes in front: a wrong password is a failed
sign-in attempt like any other, counted per user name and client and locking out at
``AXES_FAILURE_LIMIT``, so the confirm form cannot be used to guess the password faster than
the sign-in form can. A user with an authenticator (accounts.twofactor) gives its code too;
one who must have a second factor (``twofactor.required_for``) and has none cannot step up
at all until they set one up.
"""

from __future__ import annotations

import datetime as dt

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import twofactor

SESSION_KEY = "_stepup_at"


def confirmed_at(request) -> dt.datetime | None:
    """When this session last confirmed the password, or None."""
    value = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    return parse_datetime(value) if isinstance(value, str) else None


def is_fresh(request) -> bool:
    """Whether the password was confirmed in this session within ``STEPUP_MINUTES``."""
    at = confirmed_at(request)
    if at is None:
        return False
    return timezone.now() - at < dt.timedelta(minutes=settings.STEPUP_MINUTES)


def locked_out(request) -> bool:
    """Whether the last ``confirm`` was refused because the account is locked out."""
    return bool(getattr(request, "axes_locked_out", False))


def needs_code(user) -> bool:
    """Whether stepping up asks for an authenticator code besides the password."""
    return twofactor.has_device(user)


def must_set_up(user) -> bool:
    """Whether this user must set up two-step sign-in before stepping up."""
    return twofactor.required_for(user) and not twofactor.has_device(user)


def confirm(request, password: str, *, code: str | None = None) -> bool:
    """Check the signed-in user's ``password`` (and authenticator ``code`` when they have
    one); on success the session is fresh again.

    An empty password is refused without counting (it tells nothing). The code is checked
    only after the password, so it is never a way to test codes without the password; a
    wrong code slows the next one (django-otp's throttle).
    """
    user = request.user
    if not user.is_authenticated or must_set_up(user) or not password_matches(request, password):
        return False
    if needs_code(user) and not twofactor.verify_code(user, code or ""):
        return False
    # Mirrors a successful sign-in (AXES_RESET_ON_SUCCESS): earlier slips are forgiven.
    axes_reset(username=user.get_username())
    request.session[SESSION_KEY] = timezone.now().isoformat()
    return True


def password_matches(request, password: str) -> bool:
    """The signed-in user's password, checked as a sign-in is (django-axes counts a wrong one
    towards the lockout), for every form that asks for it again. Empty: False, uncounted."""
    user = request.user
    if not password or not user.is_authenticated:
        return False
    checked = authenticate(request, username=user.get_username(), password=password)
    return checked is not None and checked.pk == user.pk


def forget(request) -> None:
    request.session.pop(SESSION_KEY, None)
