#!/usr/bin/env python3
"""Restore the latest backup of a directory into a fresh database and prove it is whole.

    DATABASE_URL=postgres://…/grid .venv/bin/python scripts/restore_check.py /srv/backups/grid \\
        --database grid_restored --media-dir /srv/restore/media

DATABASE_URL names the server (and a database on it to connect to while creating the new one).
The script creates --database (and refuses an existing one unless --replace), restores db.dump
into it with pg_restore, unpacks media.tar.gz into --media-dir, then checks:

  * each file's sha256 is the manifest's
  * every table has the row count the manifest recorded at backup time, and no table is missing
    or extra
  * the points ledger's totals are the manifest's, and ``manage.py check_balances`` against the
    restored database passes (every cached balance is the sum of its entries)
  * the latest request (ticket) and the latest visit of the manifest are there
  * the unpacked media files' contents are the manifest's

It prints one line per check and exits 1 if any failed. --check-only runs only the checks,
against a database and a media folder restored before. Run it with the app's Python: the
balance check is the app's own management command.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))

# scripts/ is not a package: its neighbour is imported by path.
import backup
from backup import DUMP, MANIFEST, MEDIA, BackupError

NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass
class Report:
    lines: list[tuple[bool, str]] = field(default_factory=list)

    def check(self, ok: bool, text: str) -> bool:
        self.lines.append((ok, text))
        print(f"{'ok  ' if ok else 'FAIL'}  {text}", flush=True)
        return ok

    @property
    def failed(self) -> int:
        return sum(1 for ok, _ in self.lines if not ok)


def database_url(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def latest_backup(directory: Path) -> Path:
    found = backup.complete_backups(directory) if directory.is_dir() else []
    if not found:
        raise BackupError(f"no finished backup (a folder with {MANIFEST}) in {directory}")
    return found[0]


def check_files(report: Report, folder: Path, manifest: dict) -> bool:
    ok = True
    for name, entry in sorted(manifest["files"].items()):
        stored = folder / entry.get("stored", name)
        expected = entry.get("stored_sha256", entry["sha256"])
        if not stored.is_file():
            ok &= report.check(False, f"{stored.name}: missing")
            continue
        actual = backup.sha256_of(stored)
        ok &= report.check(actual == expected, f"{stored.name}: sha256 {actual[:16]}…")
    return ok


def plain_file(report: Report, folder: Path, manifest: dict, name: str, scratch: Path) -> Path:
    """The file as it was backed up, decrypted into ``scratch`` when it was encrypted."""
    entry = manifest["files"][name]
    if not entry.get("encrypted"):
        return folder / name
    target = scratch / name
    subprocess.run(
        ["gpg", "--batch", "--yes", "--decrypt", "--output", str(target), folder / entry["stored"]],
        check=True,
        capture_output=True,
    )
    actual = backup.sha256_of(target)
    if not report.check(actual == entry["sha256"], f"{name} decrypted: sha256 {actual[:16]}…"):
        raise BackupError(f"{name} decrypts to something else than was backed up")
    return target


def create_database(server_url: str, name: str, replace: bool) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not replace:
            raise BackupError(f"database {name} exists: choose another name or pass --replace")
        if exists:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )


def restore_database(url: str, dump: Path) -> None:
    with psycopg.connect(url) as conn:
        backup.require_tool_for(conn, "pg_restore")
    # Owners and grants are the source server's roles, which a check server need not have:
    # the restoring role owns everything (README, "Backups and restore", for a real restore).
    dbname, env = backup.libpq(url)
    done = subprocess.run(
        [
            *(backup.pg_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error"),
            *("--single-transaction", "--dbname", dbname, dump),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed ({done.returncode}): {done.stderr.strip()}")


def restore_media(archive: Path, target: Path, replace: bool) -> None:
    if target.exists() and any(target.iterdir()):
        if not replace:
            raise BackupError(f"{target} is not empty: choose another folder or pass --replace")
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        # "data": no absolute paths, links out of the folder or device files from an archive.
        tar.extractall(target, filter="data")


def media_digest(folder: Path) -> tuple[int, str]:
    files = []
    for path in folder.rglob("*"):
        if path.is_file():
            files.append((path.relative_to(folder).as_posix(), backup.sha256_of(path)))
    return len(files), backup.tree_digest(files)


def check_balances(url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url)
    # Every read of the check goes to the restored database, never to a replica of another.
    env.pop("DATABASE_REPLICA_URL", None)
    return subprocess.run(
        [sys.executable, str(backup.BASE_DIR / "manage.py"), "check_balances"],
        env=env,
        capture_output=True,
        text=True,
        cwd=backup.BASE_DIR,
    )


def check_database(report: Report, url: str, manifest: dict) -> None:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        found = backup.facts(cur)
        expected = manifest["tables"]
        for table in sorted(set(expected) | set(found["tables"])):
            want, got = expected.get(table), found["tables"].get(table)
            if want != got:
                report.check(False, f"table {table}: {got} rows, the manifest says {want}")
        if all(expected.get(t) == n for t, n in found["tables"].items()) and len(
            found["tables"]
        ) == len(expected):
            report.check(
                True,
                f"row counts: {len(expected)} tables, {sum(expected.values())} rows as in the "
                "manifest",
            )
        if manifest["points"] is not None:
            got, want = found["points"], manifest["points"]
            report.check(
                got == want,
                f"points: {got['entries']} ledger entries summing to {got['ledger_sum']}, "
                f"{got['accounts']} accounts' balances to {got['balance_sum']}"
                + ("" if got == want else f" (manifest: {want})"),
            )
        for key, table in (("ticket", "tickets_ticket"), ("visit", "grids_visit")):
            pk = manifest["latest"].get(key)
            if pk is None:
                report.check(True, f"latest {key}: none in the backup")
                continue
            cur.execute(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE id = %s)").format(
                    sql.Identifier(table)
                ),
                [pk],
            )
            report.check(cur.fetchone()[0], f"latest {key} #{pk} present")
    done = check_balances(url)
    said = (done.stdout + done.stderr).strip().splitlines()
    report.check(done.returncode == 0, f"check_balances: {said[-1] if said else 'no output'}")


def check_media(report: Report, folder: Path, manifest: dict) -> None:
    count, digest = media_digest(folder) if folder.is_dir() else (0, backup.tree_digest([]))
    want = manifest["media"]
    report.check(
        digest == want["tree_sha256"] and count == want["files"],
        f"media: {count} files in {folder} (manifest {want['files']}), contents "
        f"{'match' if digest == want['tree_sha256'] else 'differ'}",
    )


def run(args) -> int:
    report = Report()
    folder = latest_backup(args.directory)
    manifest = json.loads((folder / MANIFEST).read_text())
    if args.database == manifest["database"]["name"] and not args.check_only:
        raise BackupError(f"{args.database} is the database backed up: restore beside it")
    url = database_url(args.server_url, args.database)
    print(f"backup   {folder} (taken {manifest['database']['snapshot_taken_at']})")
    print(f"database {args.database}, media {args.media_dir}")
    if not check_files(report, folder, manifest):
        print("the backup's files are not what was written: nothing restored")
        return 1
    if not args.check_only:
        with tempfile.TemporaryDirectory(prefix="restore-") as scratch:
            dump = plain_file(report, folder, manifest, DUMP, Path(scratch))
            create_database(args.server_url, args.database, args.replace)
            restore_database(url, dump)
            report.check(True, f"restored {DUMP} into {args.database}")
            archive = plain_file(report, folder, manifest, MEDIA, Path(scratch))
            restore_media(archive, args.media_dir, args.replace)
            report.check(True, f"unpacked {MEDIA} into {args.media_dir}")
    check_database(report, url, manifest)
    check_media(report, args.media_dir, manifest)
    if report.failed:
        print(f"RESTORE CHECK FAILED: {report.failed} of {len(report.lines)} checks")
        return 1
    print(f"RESTORE CHECK PASSED: {len(report.lines)} checks")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="the backups' folder (backup.py's)")
    parser.add_argument("--database", required=True, help="the new database's name")
    parser.add_argument("--media-dir", type=Path, required=True, help="where media goes")
    parser.add_argument(
        "--server-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="postgres:// URL of the server (default DATABASE_URL)",
    )
    parser.add_argument("--replace", action="store_true", help="overwrite an existing one")
    parser.add_argument("--check-only", action="store_true", help="only check an earlier restore")
    args = parser.parse_args(argv)
    if not args.server_url.startswith(("postgres://", "postgresql://")):
        parser.error("DATABASE_URL (or --server-url) must be a postgres:// URL")
    if not NAME_RE.match(args.database):
        parser.error("--database: lower-case letters, digits and _ only")
    if args.database == database_name(args.server_url) and not args.check_only:
        parser.error("--database is the database DATABASE_URL names: restore beside it")
    try:
        return run(args)
    except (BackupError, psycopg.Error, subprocess.CalledProcessError, OSError) as exc:
        print(f"RESTORE CHECK FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
