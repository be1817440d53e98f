"""The demo, seeded once per test session and copied back for each test that wants it.

Seeding takes seconds on PostgreSQL and a dozen browser journeys start from it. So the first
test that asks seeds it for real, the rows of every table are copied to a side schema and
the photos to a side folder, and every later test gets the same rows back by TRUNCATE and
INSERT … SELECT (well under a second). Times in the copy are those of the first seeding:
the demo's deadlines are hours and days apart, so a session's minutes do not move them.
Elsewhere than PostgreSQL the demo is simply seeded every time.

The test workers of one run (pytest-xdist) share the first seeding: whichever asks first seeds
under a lock and leaves the side schema as a pg_dump file, with its sequences and photos, in
the run's shared folder; the others restore that file into their own database instead of
seeding (a few seconds instead of a minute of a CI core). Without pg_dump and pg_restore each worker
seeds its own, as before.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from core.models import ALLOW_AUDIT_TRUNCATE
from points.models import ALLOW_TRUNCATE

SCHEMA = "demo_snapshot"
_taken: dict[str, object] = {}


def _tables(cursor) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return sorted(row[0] for row in cursor.fetchall())


def _photo_roots() -> list[Path]:
    return [Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)]


def _take(folder: Path) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    with connection.cursor() as cursor:
        tables = _tables(cursor)
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        filled = []
        for table in tables:
            cursor.execute(f'CREATE TABLE {SCHEMA}."{table}" AS TABLE public."{table}"')
            if cursor.rowcount:
                filled.append(table)
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        sequences = cursor.fetchall()
    for n, root in enumerate(_photo_roots()):
        if root.exists():
            shutil.copytree(root, folder / str(n), dirs_exist_ok=True)
    _taken.update(tables=tables, filled=filled, sequences=sequences, folder=folder)


def _pg_args() -> tuple[list[str], dict[str, str]]:
    """Connection arguments of pg_dump and pg_restore for the test database."""
    db = connection.settings_dict
    args = ["-d", db["NAME"]]
    for flag, value in (("-h", db.get("HOST")), ("-p", db.get("PORT")), ("-U", db.get("USER"))):
        if value:
            args += [flag, str(value)]
    return args, {**os.environ, **({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})}


def _share(shared: Path) -> None:
    """Leave this worker's snapshot for the run's other workers."""
    args, env = _pg_args()
    dump = shared / "demo.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "-n", SCHEMA, "-f", str(dump.with_suffix(".part")), *args],
        check=True,
        env=env,
    )
    folder = _taken["folder"]
    shutil.copytree(folder, shared / "photos", dirs_exist_ok=True)
    taken = {key: _taken[key] for key in ("tables", "filled", "sequences")}
    (shared / "demo.json").write_text(json.dumps(taken))
    dump.with_suffix(".part").rename(dump)  # last: its presence says the rest is there


def _adopt(shared: Path, folder: Path) -> None:
    """Take another worker's snapshot into this worker's database."""
    args, env = _pg_args()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    subprocess.run(
        ["pg_restore", "--no-owner", *args, str(shared / "demo.dump")], check=True, env=env
    )
    shutil.copytree(shared / "photos", folder, dirs_exist_ok=True)
    taken = json.loads((shared / "demo.json").read_text())
    _taken.update(
        tables=taken["tables"],
        filled=taken["filled"],
        sequences=[tuple(row) for row in taken["sequences"]],
        folder=folder,
    )


def _restore() -> None:
    tables, filled = _taken["tables"], _taken["filled"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ALLOW_TRUNCATE)  # the ledger refuses TRUNCATE unless it is meant
        cursor.execute(ALLOW_AUDIT_TRUNCATE)  # and so does the audit log
        cursor.execute("TRUNCATE " + ", ".join(f'public."{t}"' for t in tables))
        # The rows come back as they were, kept tallies included: the app's triggers (the
        # board's tallies) must not add theirs on top (double counts, and ids past the
        # sequence restored below).
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table in filled:
            # Table names come from pg_tables, not from input.
            cursor.execute(f'INSERT INTO public."{table}" SELECT * FROM {SCHEMA}."{table}"')  # noqa: S608
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        for name, value in _taken["sequences"]:
            if value is None:
                cursor.execute("SELECT setval(%s, 1, false)", [f'public."{name}"'])
            else:
                cursor.execute("SELECT setval(%s, %s, true)", [f'public."{name}"', value])
    folder = _taken["folder"]
    for n, root in enumerate(_photo_roots()):
        if (folder / str(n)).exists():
            shutil.copytree(folder / str(n), root, dirs_exist_ok=True)


def load(folder: Path, shared: Path | None = None) -> None:
    """Give the current test the demo (``folder``: where the first seeding's photos are
    kept for the session; ``shared``: the run's folder all its workers see, if any)."""
    if connection.vendor != "postgresql":
        call_command("seed_demo", stdout=io.StringIO())
    elif _taken:
        _restore()
    elif shared is None or not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        _take(folder)
    else:
        shared.mkdir(parents=True, exist_ok=True)
        with open(shared / "demo.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if (shared / "demo.dump").exists():
                _adopt(shared, folder)
                _restore()
            else:
                _take(folder)
                try:
                    _share(shared)
                except subprocess.CalledProcessError as error:
                    # A pg_dump older than the server, say: the other worker seeds its own.
                    warnings.warn(f"the demo is not shared with the workers: {error}", stacklevel=2)
