"""Time station coverage and the 15-minute service circle on the database DATABASE_URL names.

    createdb -h 127.0.0.1 -U postgres grid_stations_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_stations_bench
    DEBUG=1 .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py seed_demo --scale district     # ~4 minutes
    .venv/bin/python bench/stations_coverage.py [--runs 10]

Prints, for the district, a street, a community and a grid: the median and worst time of
``stations.selectors.coverage`` (one pass over every household) with its parts, then the
median time and query count of the staff and public pages.
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

import numpy as np  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from grids.models import Area, Household  # noqa: E402
from stations import geo, selectors  # noqa: E402
from stations.models import Station  # noqa: E402


def timed(function, runs):
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), max(timings), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    district = Area.objects.get(code="QH")
    print(
        f"{connection.vendor}: {Area.objects.grids().count():,} grids, "
        f"{Household.objects.count():,} households, {Station.objects.open().count():,} open "
        f"stations"
    )
    print("\ncoverage(area): whole report, and its parts for the district")
    print(f"{'area':18} {'households':>10} {'median ms':>9} {'max ms':>8}  result")
    areas = [
        district,
        Area.objects.get(code="QH-S01"),
        Area.objects.get(code="QH-S01-C01"),
        Area.objects.get(code="QH-S01-C01-G01"),
    ]
    for area in areas:
        median, worst, report = timed(lambda a=area: selectors.coverage(a), runs)
        t, c = report.total, report.circle
        print(
            f"{area.code:18} {c.households:10,} {median:9.1f} {worst:8.1f}  "
            f"grids {t.grids_with_station}/{t.grids}, standardised {t.standardised}/{t.stations}, "
            f"circle {c.inside:,}/{c.located:,} ({(c.share or 0) * 100:.1f}%)"
        )
    median, worst, report = timed(lambda: selectors.coverage(district, metres=300), runs)
    c = report.circle
    print(
        f"{'QH at 300 m':18} {c.households:10,} {median:9.1f} {worst:8.1f}  "
        f"circle {c.inside:,}/{c.located:,} ({(c.share or 0) * 100:.1f}%), "
        f"{len(report.grids_outside)} grids with households outside"
    )
    rows_ms, _w, rows = timed(
        lambda: selectors._household_rows(district, list(Area.objects.under(district).grids())),
        runs,
    )
    stations = selectors._station_points()
    located = rows[~np.isnan(rows[:, 2])]
    px, py = geo.project(located[:, 2], located[:, 3], float(located[:, 3].mean()))
    sx, sy = geo.project(stations[:, 0], stations[:, 1], float(located[:, 3].mean()))
    near_ms, _w, _r = timed(lambda: geo.nearest_within(px, py, sx, sy, 1200), runs)
    exact_ms, _w, _r = timed(lambda: geo.nearest(px, py, sx, sy), max(1, runs // 5))
    print(f"  read {len(rows):,} household rows: {rows_ms:.1f} ms (median)")
    print(f"  cells, all households within 1,200 m: {near_ms:.1f} ms")
    print(f"  (for comparison: exact STRtree nearest for all: {exact_ms:.1f} ms)")

    print(f"\n{'user':10} {'page':46} {'median ms':>9} {'max ms':>8} {'queries':>7}")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    pages = [
        ("district", "/areas/QH/station-coverage/"),
        ("district", "/areas/QH/stations/"),
        ("street", "/areas/QH-S01/station-coverage/"),
        ("community", "/areas/QH-S01-C01/station-coverage/"),
        ("community", "/manage/stations/QH-S01-C01-ZX/"),
        ("worker", "/areas/QH-S01-C01-G01/stations/"),
        (None, "/stations/"),
        (None, "/stations/?lat=31.75&lng=119.95"),
        (None, "/stations/QH-S01-C01-G01-ZD/"),
        (None, "/stations/QH-S01-C01-G01-ZD/poster/"),
    ]
    for username, url in pages:
        client.logout()
        if username:
            client.force_login(User.objects.get(username=username))
        client.get(url)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"{username or 'anonymous':10} {url:46} {statistics.median(timings):9.1f} "
            f"{max(timings):8.1f} {len(queries.captured_queries):7d}"
        )


if __name__ == "__main__":
    main()
