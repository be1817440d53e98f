"""The dispatch board's SQL at district scale, read only: every tab, page 1 and 2, and a
search, for the demo's ``community`` and ``district`` users; each query the page runs is
EXPLAIN ANALYZEd and the server's execution times summed (issue 27).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/board_queries.py [--users community district] [--plans]

The page is built in a READ ONLY transaction that is rolled back: nothing is written, not
even a session (row HTML goes to the cache at REDIS_URL, as the board does). The kept body
(tickets.board_cache) is dropped before each measured page, so that every query of a body
rendered afresh is seen; warm, a board runs only the first of them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from governance import devkeys  # noqa: E402

for key, value in {
    **devkeys.environ(),
    "DJANGO_SETTINGS_MODULE": "governance.settings",
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "testserver",
    "LOG_LEVEL": "ERROR",
    "STATIC_MANIFEST": "false",
}.items():
    os.environ.setdefault(key, value)

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from tickets.views import board  # noqa: E402

CASES = [
    *[
        (f"{view} p{page}", {"view": view, "page": str(page)})
        for view in ("new", "unassigned", "overdue", "review", "escalated", "open", "all")
        for page in (1, 2)
    ],
    ("search 楼道 (new)", {"view": "new", "q": "楼道"}),
    ("search 楼道 (open)", {"view": "open", "q": "楼道"}),
    ("search 楼道 (all) p2", {"view": "all", "q": "楼道", "page": "2"}),
    ("search 路灯坏了 (open)", {"view": "open", "q": "路灯坏了"}),
    ("search no match (open)", {"view": "open", "q": "不存在的"}),
    ("search code", {"view": "all", "q": "SZZZ2222"}),
    ("search no match (all)", {"view": "all", "q": "不存在的"}),
]
EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")


def measure(user, params: dict, plans: bool) -> tuple[float, float, int, list[str]]:
    """Wall time of the view (ms), summed SQL execution time (ms), queries, slow plans."""
    request = RequestFactory().get("/tickets/", params)
    request.user = user
    request.session = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = board(request)
            wall = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        sql_ms, shown = 0.0, []
        with connection.cursor() as cursor:
            for query in ctx.captured_queries:
                if not query["sql"].lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
                took = float(EXECUTION.search(plan).group(1))
                sql_ms += took
                if plans and took > 20:
                    shown.append(f"-- {took:.1f} ms\n{query['sql'][:600]}\n{plan}")
        transaction.set_rollback(True)
    return wall, sql_ms, len(ctx.captured_queries), shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", nargs="+", default=["community", "district"])
    parser.add_argument("--plans", action="store_true", help="print plans of queries > 20 ms")
    parser.add_argument("--only", help="only the cases whose name contains this")
    args = parser.parse_args()
    print(f"{'user':10} {'case':26} {'wall ms':>8} {'SQL ms':>8} {'queries':>7}")
    for username in args.users:
        user = User.objects.get(username=username)
        for name, params in CASES:
            if args.only and args.only not in name:
                continue
            measure(user, params, False)  # warm: posts, caches, buffers
            cache.delete_pattern("kept:tickets:board:*")
            wall, sql_ms, queries, shown = measure(user, params, args.plans)
            print(f"{username:10} {name:26} {wall:8.1f} {sql_ms:8.1f} {queries:7d}")
            for plan in shown:
                print(plan)


if __name__ == "__main__":
    main()
