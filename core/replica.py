"""Read-only work on a streaming replica (DATABASE_REPLICA_URL), never at the cost of a page.

Reads go to the primary unless code asks otherwise: ``reads_from_replica()`` around a block
(or on a view, as a decorator) lets the router (core/db_router.py) send that block's reads to
the replica. Inside it the primary still answers

* once this request (or, outside a request, this block) has written: it reads its own writes;
* inside a transaction on the primary, which reads what it is about to commit;
* for the next REPLICA_PIN_SECONDS after the user's last POST (a signed cookie set by
  ``ReplicaMiddleware``): the page after a write shows it even while the replica lags;
* when the replica does not answer: it is then left alone for ``DOWN_SECONDS``.

A view decorated with ``reads_from_replica()`` whose replica fails part-way (a dropped
connection, a query cancelled by a conflict with recovery) is run again on the primary.
Without DATABASE_REPLICA_URL all of this does nothing.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.core import signing
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, router

from core.db_router import REPLICA, Reads, ReplicaRouter
from core.db_router import reads as _reads

PIN_COOKIE = "read_primary"
_PIN_SALT = "core.replica.pin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# After a failed connection the replica is not tried again for this long: a replica host
# that does not answer would otherwise cost every page the connection timeout.
DOWN_SECONDS = 30.0

_down_until = 0.0


def configured() -> bool:
    """A replica is set up and its router installed (tests of other things remove it)."""
    return REPLICA in settings.DATABASES and any(
        isinstance(each, ReplicaRouter) for each in router.routers
    )


def forget_failures() -> None:
    """Try the replica again at the next read (for tests, and after a repair)."""
    global _down_until
    _down_until = 0.0


def _answering() -> bool:
    """Whether the replica takes a query now: a connection made, or (once per request, the
    alias's CONN_HEALTH_CHECKS) the persistent one still alive."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    replica = connections[REPLICA]
    try:
        replica.close_if_health_check_failed()
        replica.ensure_connection()
    except (OperationalError, InterfaceError):
        _down_until = time.monotonic() + DOWN_SECONDS
        return False
    return True


def _failed_replica() -> None:
    """After an error while reading the replica: a replica that still answers failed this
    query only (one cancelled by a conflict with recovery, say); otherwise its connection is
    dropped and made again, or the replica is left alone for a while."""
    replica = connections[REPLICA]
    if replica.connection is not None and replica.is_usable():
        return
    replica.close()
    _answering()


class reads_from_replica:  # lower case: it reads as a function, after `with` and `@`
    """Reads in this block (or view) may be served by the replica; see the module's doc."""

    def __enter__(self) -> Reads:
        reads = _reads.get()
        self._token = None
        if reads is None:  # outside a request (a task, a command): this block alone
            reads = Reads()
            self._token = _reads.set(reads)
        self._reads = reads
        self._was = reads.on_replica
        if not reads.on_replica and configured() and not (reads.pinned or reads.wrote):
            reads.on_replica = _answering()
        return reads

    def __exit__(self, *exc) -> None:
        self._reads.on_replica = self._was
        if self._token is not None:
            _reads.reset(self._token)

    def __call__(self, view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            with reads_from_replica() as reads:
                try:
                    return view(*args, **kwargs)
                except (OperationalError, InterfaceError):
                    # Not the replica's failure, or not safe to run again: a write was made.
                    if not reads.used or reads.wrote:
                        raise
                    _failed_replica()
                    reads.pinned = True  # the rest of this request reads the primary
                    reads.on_replica = False
                    return view(*args, **kwargs)

        return wrapped


def _pinned(request) -> bool:
    seconds = settings.REPLICA_PIN_SECONDS
    if seconds <= 0:
        return False
    try:
        request.get_signed_cookie(PIN_COOKIE, salt=_PIN_SALT, max_age=seconds)
    except (KeyError, signing.BadSignature):
        return False
    return True


class ReplicaMiddleware:
    """Keeps each request's reads apart from the others', and pins a user who has just
    written to the primary for REPLICA_PIN_SECONDS (a signed, timestamped cookie: it costs
    no database or cache write, and a cookie older than that is ignored even if kept)."""

    def __init__(self, get_response):
        if REPLICA not in settings.DATABASES:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        if not configured():
            return self.get_response(request)
        reads = Reads(pinned=_pinned(request))
        token = _reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        seconds = settings.REPLICA_PIN_SECONDS
        if seconds > 0 and (request.method not in SAFE_METHODS or reads.wrote):
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=_PIN_SALT,
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def bound(queryset):
    """``queryset`` tied to where reads go now, for one evaluated after the view has returned
    (a streamed export), when neither the request's pin nor this block applies any more."""
    return queryset.using(router.db_for_read(queryset.model) or DEFAULT_DB_ALIAS)
