#!/usr/bin/env python3
"""Nightly backup: the database (pg_dump, custom format) and the media files, with a manifest
that scripts/restore_check.py proves a restore against, then pruning by the retention policy.

    DATABASE_URL=postgres://… python scripts/backup.py /srv/backups/grid

writes /srv/backups/grid/<UTC timestamp>/ with

    db.dump         pg_dump -Fc of the whole database
    media.tar.gz    MEDIA_ROOT as media/ and PRIVATE_MEDIA_ROOT as private/
    manifest.json   exact row counts of every table, the points ledger's totals, the latest
                    request and visit, sha256 of each file and of the media files' contents

The counts and the dump come from one snapshot: a REPEATABLE READ transaction exports it
(pg_export_snapshot) and pg_dump runs with --snapshot while that transaction stays open, so
a request written during the backup is in both or in neither. The media files are archived
after the dump: photos are written once and never changed, so the archive holds every photo
the dump refers to (and perhaps a few newer ones).

With --encrypt-to (or BACKUP_GPG_RECIPIENT: a public key file, or a key id in the keyring),
db.dump and media.tar.gz are encrypted to that gpg key and only the .gpg files are kept; the
manifest has no personal data and stays readable.

Retention (README, "Backups and restore"): the newest backup of each of the last --keep-daily
days and of each of the last --keep-weekly ISO weeks; the rest are deleted.

Needs pg_dump of the server's major version or newer (PG_BIN picks a directory), psycopg.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

BASE_DIR = Path(__file__).resolve().parent.parent
STAMP = "%Y%m%dT%H%M%SZ"
STAMP_RE = re.compile(r"^\d{8}T\d{6}Z$")
MANIFEST = "manifest.json"
DUMP = "db.dump"
MEDIA = "media.tar.gz"
FORMAT = 1


class BackupError(Exception):
    pass


# --- Shared with restore_check.py --------------------------------------------------------------


def pg_tool(name: str) -> str:
    folder = os.environ.get("PG_BIN", "")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path:
        raise BackupError(f"{name} not found: install postgresql-client or set PG_BIN")
    return path


def tool_major(name: str) -> int:
    out = subprocess.run([pg_tool(name), "--version"], capture_output=True, text=True, check=True)
    match = re.search(r"\s(\d+)(?:\.\d+)?", out.stdout)
    if not match:
        raise BackupError(f"cannot read the version of {name}: {out.stdout!r}")
    return int(match.group(1))


def require_tool_for(conn: psycopg.Connection, name: str) -> str:
    """pg_dump refuses a newer server, and an older pg_restore cannot read a newer dump:
    say which binary is wrong before the hour-long run, not after."""
    server = conn.info.server_version // 10000
    tool = tool_major(name)
    if tool < server:
        raise BackupError(
            f"{name} {tool} is older than the server ({server}): install "
            f"postgresql-client-{server} or point PG_BIN at its bin directory"
        )
    return f"{name} {tool}"


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as a pg_dump/pg_restore --dbname without its password, which goes in the
    environment instead: a command line is readable by every user of the machine (ps)."""
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def tree_digest(files: list[tuple[str, str]]) -> str:
    """One checksum for a set of files: their relative paths and contents' sha256, sorted."""
    digest = hashlib.sha256()
    for name, file_sha in sorted(files):
        digest.update(f"{name}\0{file_sha}\n".encode())
    return digest.hexdigest()


def user_tables(cur: psycopg.Cursor) -> list[tuple[str, str]]:
    """Every table pg_dump writes rows of: ordinary and partitioned tables outside the system
    schemas, except an extension's own."""
    cur.execute(
        """
        SELECT n.nspname, c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (
              SELECT 1 FROM pg_depend d
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
          )
        ORDER BY n.nspname, c.relname
        """
    )
    return cur.fetchall()


def facts(cur: psycopg.Cursor) -> dict:
    """What a restore is checked against, read in the caller's transaction."""
    tables = {}
    for schema, name in user_tables(cur):
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name)))
        tables[f"{schema}.{name}"] = cur.fetchone()[0]
    present = set(tables)
    points = None
    if {"public.points_entry", "public.points_account"} <= present:
        cur.execute("SELECT count(*), coalesce(sum(amount), 0) FROM points_entry")
        entries, ledger_sum = cur.fetchone()
        cur.execute("SELECT count(*), coalesce(sum(balance), 0) FROM points_account")
        accounts, balance_sum = cur.fetchone()
        points = {
            "entries": entries,
            "ledger_sum": int(ledger_sum),
            "accounts": accounts,
            "balance_sum": int(balance_sum),
        }
    latest = {}
    for key, table in (("ticket", "tickets_ticket"), ("visit", "grids_visit")):
        if f"public.{table}" in present:
            cur.execute(sql.SQL("SELECT max(id) FROM {}").format(sql.Identifier(table)))
            latest[key] = cur.fetchone()[0]
    return {"tables": tables, "points": points, "latest": latest}


# --- Backup ------------------------------------------------------------------------------------


def media_roots(args) -> dict[str, Path]:
    if args.media_root is None or args.private_media_root is None:
        # The same paths the app writes to, from the same environment.
        sys.path.insert(0, str(BASE_DIR))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
        from django.conf import settings

        args.media_root = args.media_root or Path(settings.MEDIA_ROOT)
        args.private_media_root = args.private_media_root or Path(settings.PRIVATE_MEDIA_ROOT)
    return {"media": Path(args.media_root), "private": Path(args.private_media_root)}


def archive_media(roots: dict[str, Path], target: Path) -> dict:
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        for arcname, root in roots.items():
            if root.is_dir():
                tar.add(root, arcname=arcname)
    # The digest is of what the archive holds (not of the folders, which may change meanwhile).
    files, size = [], 0
    with tarfile.open(target, "r:gz") as tar:
        for member in tar:
            if member.isfile():
                digest = hashlib.file_digest(tar.extractfile(member), "sha256")
                files.append((member.name, digest.hexdigest()))
                size += member.size
    return {
        "roots": {name: str(root) for name, root in roots.items()},
        "files": len(files),
        "bytes": size,
        "tree_sha256": tree_digest(files),
    }


def dump_database(url: str, target: Path) -> dict:
    with psycopg.connect(url, autocommit=True) as conn:
        tool = require_tool_for(conn, "pg_dump")
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot(), current_database(), now()")
            snapshot, name, taken_at = cur.fetchone()
            # pg_dump reads the exported snapshot while this transaction holds it open.
            dbname, env = libpq(url)
            dumping = subprocess.Popen(
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    *("--file", str(target), "--dbname", dbname),
                ],
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            try:
                counted = facts(cur)
            except BaseException:
                dumping.kill()
                raise
            _, errors = dumping.communicate()
            if dumping.returncode != 0:
                raise BackupError(f"pg_dump failed ({dumping.returncode}): {errors.strip()}")
        return {
            "name": name,
            "server_version": conn.info.server_version,
            "snapshot_taken_at": taken_at.isoformat(),
            "pg_dump": tool,
            **counted,
        }


def encrypt(path: Path, recipient: str) -> Path:
    """Encrypt to a gpg key: a public key file (no keyring needed on the server), or a key
    id / e-mail in the running user's keyring. Only the encrypted file is kept."""
    out = path.with_name(path.name + ".gpg")
    to = (
        ("--recipient-file", recipient) if Path(recipient).is_file() else ("--recipient", recipient)
    )
    subprocess.run(
        [
            *("gpg", "--batch", "--yes", "--trust-model", "always", "--encrypt"),
            *(*to, "--output", str(out), str(path)),
        ],
        check=True,
        capture_output=True,
    )
    path.unlink()
    return out


def backup(url: str, directory: Path, roots: dict[str, Path], recipient: str = "") -> Path:
    started = dt.datetime.now(dt.UTC)
    final = directory / started.strftime(STAMP)
    if final.exists():
        raise BackupError(f"{final} exists already")
    work = directory / f"{final.name}.partial"
    work.mkdir()
    database = dump_database(url, work / DUMP)
    media = archive_media(roots, work / MEDIA)
    files = {}
    for name in (DUMP, MEDIA):
        path = work / name
        entry = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
        if recipient:
            path = encrypt(path, recipient)
            entry.update(encrypted="gpg", stored=path.name, stored_sha256=sha256_of(path))
        files[name] = entry
    manifest = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(),
        "database": {k: database[k] for k in ("name", "server_version", "snapshot_taken_at")},
        "pg_dump": database["pg_dump"],
        "tables": database["tables"],
        "points": database["points"],
        "latest": database["latest"],
        "media": media,
        "files": files,
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    # Only a finished backup carries the timestamp name that restores and pruning look for.
    work.rename(final)
    return final


# --- Retention ---------------------------------------------------------------------------------


def complete_backups(directory: Path) -> list[Path]:
    """Finished backups, newest first."""
    found = [
        path
        for path in directory.iterdir()
        if path.is_dir() and STAMP_RE.match(path.name) and (path / MANIFEST).is_file()
    ]
    return sorted(found, key=lambda path: path.name, reverse=True)


def to_keep(names: list[str], daily: int, weekly: int) -> set[str]:
    """The newest backup of each of the newest ``daily`` days and ``weekly`` ISO weeks that
    have one (days and weeks in UTC, as the names are)."""
    keep: set[str] = set()
    days: set[dt.date] = set()
    weeks: set[tuple[int, int]] = set()
    for name in sorted(names, reverse=True):
        day = dt.datetime.strptime(name, STAMP).date()
        week = day.isocalendar()[:2]
        if day not in days and len(days) < daily:
            days.add(day)
            keep.add(name)
        if week not in weeks and len(weeks) < weekly:
            weeks.add(week)
            keep.add(name)
    return keep


def prune(directory: Path, daily: int, weekly: int) -> list[str]:
    backups = complete_backups(directory)
    keep = to_keep([path.name for path in backups], daily, weekly)
    removed = []
    for path in backups:
        if path.name not in keep:
            shutil.rmtree(path)
            removed.append(path.name)
    # A run that died half-way left its .partial folder; the lock says none is running now.
    for path in directory.glob("*.partial"):
        shutil.rmtree(path)
        removed.append(path.name)
    return removed


# --- Command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="where the backups are kept")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--media-root", type=Path, help="default: settings.MEDIA_ROOT")
    parser.add_argument(
        "--private-media-root", type=Path, help="default: settings.PRIVATE_MEDIA_ROOT"
    )
    parser.add_argument(
        "--keep-daily", type=int, default=int(os.environ.get("BACKUP_KEEP_DAILY", "14"))
    )
    parser.add_argument(
        "--keep-weekly", type=int, default=int(os.environ.get("BACKUP_KEEP_WEEKLY", "8"))
    )
    parser.add_argument(
        "--encrypt-to",
        default=os.environ.get("BACKUP_GPG_RECIPIENT", ""),
        help="a gpg public key file (or key id) to encrypt the dump and the media to",
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("DATABASE_URL (or --database-url) must be a postgres:// URL")
    if args.keep_daily < 1 or args.keep_weekly < 0:
        parser.error("keep at least one daily backup")
    args.directory.mkdir(parents=True, exist_ok=True)
    with (args.directory / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another backup is running in {args.directory}", file=sys.stderr)
            return 1
        try:
            made = backup(args.database_url, args.directory, media_roots(args), args.encrypt_to)
        except (BackupError, psycopg.Error, subprocess.CalledProcessError, OSError) as exc:
            print(f"backup failed: {exc}", file=sys.stderr)
            return 1
        removed = prune(args.directory, args.keep_daily, args.keep_weekly)
    manifest = json.loads((made / MANIFEST).read_text())
    print(f"backup {made}")
    print(f"  tables {len(manifest['tables'])}, rows {sum(manifest['tables'].values())}")
    print(f"  media files {manifest['media']['files']}, bytes {manifest['media']['bytes']}")
    for name in removed:
        print(f"  pruned {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
