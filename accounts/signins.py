"""A user's own sign-in history and open sessions.

Every sign-in and every refused attempt at a known account is a ``SignIn`` row (from
Django's ``user_logged_in`` / ``user_login_failed`` signals, which django-axes also sends
for an attempt it refuses during a lockout). Each signed-in session is a ``UserSession`` row
keyed by its session key, so a user can see where they are signed in and end a session:
ending goes through the configured SessionStore, so the cached copy (Redis, core.sessions)
goes with the database row.

"Last seen" is written at most once per ``SEEN_EVERY`` seconds per session: the time of the
last write rides in the session itself, which every signed-in request reads anyway, so an
ordinary request costs no query and no write.
"""

from __future__ import annotations

import ipaddress
import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import timeouts
from accounts.signin_models import USER_AGENT_LENGTH, SignIn, UserSession
from core.clientip import client_ip

SEEN_KEY = "_accounts_seen"  # [session key, unix time of the last "last seen" write]
SEEN_EVERY = 5 * 60
# Refusals from one address within this window are counted on one row.
MERGE_WINDOW = timedelta(minutes=15)
KEEP_DAYS = 180
HISTORY_LIMIT = 100


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _ip(request) -> str | None:
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def _agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH]


def live_keys():
    """The session keys that exist and have not expired, as a subquery (db and cached_db
    sessions both keep a database row)."""
    model = _store().get_model_class()
    return model.objects.filter(expire_date__gt=timezone.now()).values("session_key")


# --- signal receivers -----------------------------------------------------------------------


def logged_in(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    now = timezone.now()
    ip, agent = _ip(request), _agent(request)
    SignIn.objects.create(user=user, at=now, result=SignIn.Result.SUCCESS, ip=ip, user_agent=agent)
    session = getattr(request, "session", None)
    if session is None:
        return
    timeouts.started(session)
    if not session.session_key:
        return
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip": ip,
            "user_agent": agent,
            "started_at": now,
            "last_seen_at": now,
        },
    )
    session[SEEN_KEY] = [session.session_key, int(time.time())]


def _account(name: str):
    """The account a failed attempt was aimed at: by user name, else by mobile number when
    exactly one account has it; None for a name nobody has."""
    if not name:
        return None
    User = get_user_model()
    found = list(User.objects.filter(Q(username=name) | Q(phone=name))[:3])
    by_name = [u for u in found if u.username == name]
    if by_name:
        return by_name[0]
    return found[0] if len(found) == 1 else None


def login_failed(sender, credentials, request=None, **kwargs) -> None:
    if request is None:
        return
    User = get_user_model()
    user = _account(str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or ""))
    if user is None:
        return
    now = timezone.now()
    ip = _ip(request)
    result = (
        SignIn.Result.LOCKED if getattr(request, "axes_locked_out", False) else SignIn.Result.FAILED
    )
    recent = SignIn.objects.filter(
        user=user, result=result, ip=ip, at__gte=now - MERGE_WINDOW
    ).order_by("-at")[:1]
    merged = SignIn.objects.filter(pk__in=recent.values("pk")).update(
        attempts=F("attempts") + 1, at=now, user_agent=_agent(request)
    )
    if not merged:
        SignIn.objects.create(user=user, at=now, result=result, ip=ip, user_agent=_agent(request))


def logged_out(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


def connect() -> None:
    from django.contrib.auth import signals

    signals.user_logged_in.connect(logged_in, dispatch_uid="accounts.signins.in")
    signals.user_login_failed.connect(login_failed, dispatch_uid="accounts.signins.failed")
    signals.user_logged_out.connect(logged_out, dispatch_uid="accounts.signins.out")


# --- last seen --------------------------------------------------------------------------------


def touch(request) -> None:
    """Record that this session is in use, unless that was done less than SEEN_EVERY ago.
    A session whose key changed since (Django cycles it when the password changes) keeps
    its row under the new key; a session from before rows were kept gets one."""
    session = request.session
    key = session.session_key
    seen = session.get(SEEN_KEY)
    now_ts = int(time.time())
    if not key or (seen and seen[0] == key and now_ts - seen[1] < SEEN_EVERY):
        return
    now = timezone.now()
    fields = {"ip": _ip(request), "user_agent": _agent(request), "last_seen_at": now}
    rows = UserSession.objects.filter(user=request.user)
    updated = rows.filter(session_key=key).update(**fields)
    if not updated and seen and seen[0] != key:
        updated = rows.filter(session_key=seen[0]).update(session_key=key, **fields)
    if not updated:
        UserSession.objects.update_or_create(
            session_key=key, defaults={"user": request.user, "started_at": now, **fields}
        )
    session[SEEN_KEY] = [key, now_ts]


class SessionSeenMiddleware:
    """After AuthenticationMiddleware: keeps the signed-in session's row current."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            touch(request)
        return self.get_response(request)


# --- reading and ending ------------------------------------------------------------------------


def history(user, *, limit: int = HISTORY_LIMIT):
    return list(SignIn.objects.filter(user=user).order_by("-at", "-pk")[:limit])


def open_sessions(user):
    """The user's sessions that still exist, latest used first. One idle past the limit
    (accounts.timeouts) is left out: its row lasts until the absolute end, but it signs
    nobody in ("last seen" lags the last request by up to SEEN_EVERY)."""
    rows = UserSession.objects.filter(user=user, session_key__in=live_keys())
    idle = timeouts.idle_seconds()
    if idle:
        since = timezone.now() - timedelta(seconds=idle + SEEN_EVERY)
        rows = rows.filter(last_seen_at__gte=since)
    return list(rows.order_by("-last_seen_at", "-pk"))


def rekey(old: str | None, new: str | None) -> None:
    """The session's key was cycled (a password change keeps the session under a new key)."""
    if old and new and old != new:
        UserSession.objects.filter(session_key=old).update(session_key=new)


@transaction.atomic
def end_sessions(
    user, *, keep: str | None = None, pk: int | None = None, started_before=None
) -> int:
    """End the user's sessions (all, all but ``keep``, the one row ``pk``, or those signed
    in before ``started_before``): each through the SessionStore, so its cached copy goes
    too. Returns how many rows were ended."""
    rows = UserSession.objects.select_for_update().filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    if pk is not None:
        rows = rows.filter(pk=pk)
    if started_before is not None:
        rows = rows.filter(started_at__lt=started_before)
    keys = list(rows.values_list("session_key", flat=True))
    store = _store()()
    for key in keys:
        store.delete(key)
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def purge(*, days: int = KEEP_DAYS) -> tuple[int, int]:
    """Sign-ins older than ``days`` and rows of sessions that ended without a sign-out
    (expired, or cut by a password change). Returns (sign-ins, sessions) deleted."""
    signins, _ = SignIn.objects.filter(at__lt=timezone.now() - timedelta(days=days)).delete()
    _store().clear_expired()
    sessions, _ = UserSession.objects.exclude(session_key__in=live_keys()).delete()
    return signins, sessions
