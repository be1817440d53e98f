"""One-row reads whose SQL is built once per process for each set of what it depends on, and
prepared once per database connection (issue 27: a kept page's versions and its access check
are a few small queries, and building them with the ORM, then PostgreSQL planning them, cost
far more than answering them: the request page's check plans in 0.85 ms and runs in 0.03).

``row(key, build)`` runs the query ``build()`` returns and gives its first row. ``key`` must
name everything ``build`` reads (the viewer, their areas, the ids it filters on): the SQL and
its parameters are kept under it, so a kept statement is the one ``build()`` would make now.
``compiled(key, build)`` gives the SQL alone (for a caller that puts its own values in);
``first_row(model, sql, params)`` runs SQL already built. What the database holds is read
afresh every time. Reads go where the router sends them at the time of the call (the
replica, when the request may read from it).

On PostgreSQL each statement is ``PREPARE``d on a connection the first time that connection
runs it, then ``EXECUTE``d with its parameters: after five runs PostgreSQL keeps a generic
plan when it costs no more than planning each time (a lookup by id does; a prefix match on
paths keeps being planned, as before). A statement PostgreSQL cannot prepare (a parameter of
a type it cannot infer) runs as plain SQL from then on. Prepared statements live as long as
their connection (``CONN_MAX_AGE``); a pooler that shares server connections between clients
in transaction mode would lose them, and none is used (docker-compose.yml).
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.sql import Query
from psycopg import DatabaseError

KEPT = 4_000
_STATEMENTS: OrderedDict[tuple, tuple[type, str, tuple]] = OrderedDict()
_LOCK = threading.Lock()
# The names prepared on each open connection (the driver's connection: a new one has none).
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# SQL that PostgreSQL refused to prepare: run as it is.
_PLAIN: set[str] = set()
_PLACEHOLDER = re.compile(r"%([s%])")


def compiled(key: tuple, build: Callable[[], QuerySet | Query]) -> tuple[type, str, tuple]:
    """The model, SQL and parameters of the query ``build()`` returns (a queryset, or a query
    such as ``queryset.query.exists()``), built once per ``key``."""
    with _LOCK:
        found = _STATEMENTS.get(key)
        if found is not None:
            _STATEMENTS.move_to_end(key)
            return found
    built = build()
    query = built if isinstance(built, Query) else built.query
    sql, params = query.get_compiler(router.db_for_read(query.model)).as_sql()
    found = (query.model, sql, tuple(params))
    with _LOCK:
        _STATEMENTS[key] = found
        while len(_STATEMENTS) > KEPT:
            _STATEMENTS.popitem(last=False)
    return found


def row(key: tuple, build: Callable[[], QuerySet]) -> tuple:
    """The first row of ``build()``'s query (built once per ``key``)."""
    return first_row(*compiled(key, build))


def _numbered(sql: str) -> str:
    """Django's SQL (``%s`` for a parameter, ``%%`` for a percent sign) with PostgreSQL's
    numbered parameters, as ``PREPARE`` takes it."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _prepared_name(alias: str, sql: str) -> str | None:
    """The name ``sql`` is prepared under on ``alias``'s connection (prepared now if it is not
    yet), or None where it is run as it is."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or sql in _PLAIN:
        return None
    connection.ensure_connection()
    raw = connection.connection
    names = _PREPARED.setdefault(raw, set())
    name = "gg_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:24]
    if name in names:
        return name
    # On the driver's cursor, as Django's own health check does: preparing is bookkeeping of
    # this connection, not one of the request's queries (which tests count). In a savepoint
    # inside a transaction, so that a refusal leaves it usable.
    in_transaction = not raw.autocommit
    with raw.cursor() as cursor:
        if in_transaction:
            cursor.execute("SAVEPOINT gg_prepare")
        try:
            cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        except DatabaseError:
            if in_transaction:
                cursor.execute("ROLLBACK TO SAVEPOINT gg_prepare")
            _PLAIN.add(sql)
            return None
        if in_transaction:
            cursor.execute("RELEASE SAVEPOINT gg_prepare")
    names.add(name)
    return name


def first_row(model: type, sql: str, params) -> tuple | None:
    """The first row of ``sql`` (Django's, with ``params``), read where ``model``'s reads go."""
    alias = router.db_for_read(model)
    name = _prepared_name(alias, sql)
    with connections[alias].cursor() as cursor:
        if name is None:
            cursor.execute(sql, params)
        elif params:
            cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
        else:
            cursor.execute(f"EXECUTE {name}")
        return cursor.fetchone()
