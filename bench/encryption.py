"""The cost of personal data at rest (core.crypto, core.fields) on the pages that read it most.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench DEBUG=1 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... DEBUG=1 .venv/bin/python manage.py seed_demo
    DATABASE_URL=... .venv/bin/python bench/encryption.py [--runs 7] [--rows 50000]

1. Per row, in memory: decrypt an ID number and a mobile and mask both, against masking
   the plain values (what the pages did before), over ``--rows`` rows.
2. The district's household list and its residents' CSV export (every resident of the
   district, masked), in-process through the test client as the district officer, with
   decryption on and off. "Off" reads the stored text as it is (the same queries, rows and
   masking, without AES-GCM): the difference is what encryption adds to the page. Runs
   alternate, so that a slower moment of the machine falls on both; the CPU time of this
   process is printed beside the wall time, which a loaded machine makes noisy.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

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

from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from core import crypto  # noqa: E402
from core.fields import EncryptedCharField  # noqa: E402
from core.personal import mask_id_number, mask_mobile  # noqa: E402
from grids.models import Area, Household, Resident  # noqa: E402
from grids.roles import Level  # noqa: E402


def per_row(rows: int) -> None:
    ids = [f"32041219{n % 90 + 10:02d}0101{n % 1000:03d}X" for n in range(rows)]
    phones = [f"139{n:08d}" for n in range(rows)]
    stored = [
        (
            crypto.encrypt(i, column="grids.Resident.id_number"),
            crypto.encrypt(p, column="grids.Resident.phone"),
        )
        for i, p in zip(ids, phones, strict=True)
    ]
    started = time.perf_counter()
    for i, p in zip(ids, phones, strict=True):
        mask_id_number(i), mask_mobile(p)
    plain = time.perf_counter() - started
    started = time.perf_counter()
    for i, p in stored:
        mask_id_number(crypto.decrypt(i, column="grids.Resident.id_number"))
        mask_mobile(crypto.decrypt(p, column="grids.Resident.phone"))
    sealed = time.perf_counter() - started
    print(
        f"per row ({rows:,} rows, ID number + mobile): masking {plain / rows * 1e6:.2f} µs, "
        f"decrypting and masking {sealed / rows * 1e6:.2f} µs "
        f"(+{(sealed - plain) / rows * 1e6:.2f} µs a row, "
        f"{(sealed - plain):.2f} s for all)"
    )


def _get(client: Client, url: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of this process (the CPU figure leaves out other processes'
    load on a shared machine; the database's reads are the same with and without)."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code)
    assert body
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def pages(runs: int) -> None:
    district = Area.objects.filter(level=Level.DISTRICT).order_by("pk").first()
    if district is None:
        sys.exit("load the demo first: manage.py seed_demo")
    print(
        f"{Household.objects.count():,} households, {Resident.objects.count():,} residents "
        f"in {district.code}"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username="district"))
    plain_read = mock.patch.object(
        EncryptedCharField, "from_db_value", lambda self, value, expression, connection: value
    )
    urls = [
        ("household list", f"/areas/{district.code}/households/"),
        ("household list, last-4 search", f"/areas/{district.code}/households/?q=1234"),
        ("residents CSV export", f"/areas/{district.code}/households/export.csv"),
    ]
    print(
        f"{'page':32} {'wall off':>9} {'on':>8} {'cost':>7}   {'CPU off':>8} {'on':>8} {'cost':>7}"
    )
    for label, url in urls:
        _get(client, url)  # warm caches and connections
        off, on = [], []
        for _ in range(runs):
            with plain_read:
                off.append(_get(client, url))
            on.append(_get(client, url))
        figures = []
        for which in (0, 1):
            median_off = statistics.median(t[which] for t in off)
            median_on = statistics.median(t[which] for t in on)
            figures.append(
                f"{median_off:8.1f} {median_on:8.1f} {(median_on / median_off - 1) * 100:+6.1f}%"
            )
        print(f"{label:32} {figures[0]}    {figures[1]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    per_row(args.rows)
    pages(args.runs)


if __name__ == "__main__":
    main()
