"""One-row reads whose SQL is built once per process for each set of what it depends on
(issue 27: a kept page's versions are a few small queries, and building them with the ORM
cost more than the database took to answer them).

``row(key, build)`` runs the query ``build()`` returns and gives its first row. ``key`` must
name everything ``build`` reads (the viewer, their areas, the ids it filters on): the SQL and
its parameters are kept under it, so a kept statement is the one ``build()`` would make now.
What the database holds is read afresh every time. Reads go where the router sends them at
the time of the call (the replica, when the request may read from it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from django.db import connections, router
from django.db.models import QuerySet

KEPT = 4_000
_STATEMENTS: OrderedDict[tuple, tuple[type, str, tuple]] = OrderedDict()
_LOCK = threading.Lock()


def _compiled(key: tuple, build: Callable[[], QuerySet]) -> tuple[type, str, tuple]:
    with _LOCK:
        found = _STATEMENTS.get(key)
        if found is not None:
            _STATEMENTS.move_to_end(key)
            return found
    queryset = build()
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    found = (queryset.model, sql, tuple(params))
    with _LOCK:
        _STATEMENTS[key] = found
        while len(_STATEMENTS) > KEPT:
            _STATEMENTS.popitem(last=False)
    return found


def row(key: tuple, build: Callable[[], QuerySet]) -> tuple:
    """The first row of ``build()``'s query (built once per ``key``)."""
    model, sql, params = _compiled(key, build)
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def forget() -> None:
    with _LOCK:
        _STATEMENTS.clear()
