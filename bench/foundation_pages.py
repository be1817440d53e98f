"""Time the foundation's pages for each persona on whatever database DATABASE_URL names.

    createdb grid_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench DEBUG=1 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... DEBUG=1 .venv/bin/python manage.py seed_demo --scale district
    DATABASE_URL=... .venv/bin/python bench/foundation_pages.py [--runs 20]

Prints the median and worst time of each page over the runs (in-process test client,
one connection: server-side cost without HTTP), the queries per request, and the rows behind it.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
from governance import devkeys

os.environ.update(devkeys.environ())
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from grids.models import Area, Household, Resident  # noqa: E402

PAGES = [
    ("district", "/areas/QH/"),
    ("district", "/areas/QH/households/"),
    ("district", "/areas/QH/staffing/"),
    ("district", "/areas/QH/coverage/"),
    ("street", "/areas/QH-S01/"),
    ("community", "/areas/QH-S01-C01/"),
    ("community", "/areas/QH-S01-C01/households/?q=1234"),
    ("worker", "/areas/QH-S01-C01-G01/"),
    ("worker", "/areas/QH-S01-C01-G01/households/"),
    ("worker", "/areas/QH-S01-C01-G01/households/?q=1234"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    print(
        f"{connection.vendor}: {Area.objects.grids().count():,} grids, "
        f"{Household.objects.count():,} households, {Resident.objects.count():,} residents"
    )
    print(f"{'user':10} {'page':42} {'median ms':>9} {'max ms':>8} {'queries':>7}")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for username, url in PAGES:
        client.force_login(User.objects.get(username=username))
        client.get(url)  # warm caches and connections
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"{username:10} {url:42} {statistics.median(timings):9.1f} {max(timings):8.1f} "
            f"{len(queries.captured_queries):7d}"
        )


if __name__ == "__main__":
    main()
