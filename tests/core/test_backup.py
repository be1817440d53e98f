"""Backups that are restored: scripts/backup.py against the test database, scripts/
restore_check.py into a fresh database beside it, with the real pg_dump and pg_restore."""

import datetime as dt
import importlib.util
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db.models import F
from psycopg import sql

from points import services as points
from points.models import Account, Entry
from tests.factories import HouseholdFactory, ResidentFactory, jpeg
from tickets import services as tickets
from tickets.models import Channel
from visits import services as visits
from visits.models import Visit, VisitKind

SCRIPTS = Path(settings.BASE_DIR) / "scripts"


def _script_module(name: str):
    """scripts/<name>.py as the module restore_check imports it as (scripts/ is no package)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _run(script: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, SCRIPTS / f"{script}.py", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def media_roots(settings, tmp_path):
    """Both roots under one folder, as restore_check lays them out (media/, private/)."""
    settings.MEDIA_ROOT = tmp_path / "live" / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "live" / "private"
    settings.MEDIA_ROOT.mkdir(parents=True)
    (settings.MEDIA_ROOT / "logo.txt").write_text("网格治理\n")
    return tmp_path / "live"


@pytest.fixture
def some_data(territory, matter, own_worker, service_scheme, media_roots):
    """A request with a photo, a visit, and a points account with a few ledger entries."""
    request = tickets.submit(
        channel=Channel.QR,
        matter=matter,
        description="楼道堆满纸箱",
        reporter_phone="13812345678",
        grid=territory.grid,
        photos=[jpeg()],
    )
    household = HouseholdFactory(grid=territory.grid)
    visit = visits.log_visit(
        by=own_worker, client_id=uuid.uuid4(), kind=VisitKind.ROUTINE, household=household
    ).visit
    resident = ResidentFactory(household=household)
    account = Account.objects.create(
        scheme=service_scheme, community=territory.community, resident=resident
    )
    for i, (amount, kind) in enumerate(
        [(5, Entry.Kind.EARN), (3, Entry.Kind.EARN), (-2, Entry.Kind.ADJUSTMENT)]
    ):
        points.post(account=account, amount=amount, kind=kind, idempotency_key=f"backup:{i}")
    return {"request": request, "visit": visit, "account": account}


@pytest.fixture
def fresh_database():
    """A name for the restored database, dropped at the end whatever happened."""
    name = f"{settings.DATABASES['default']['NAME']}_restored"[:63]
    server = _url(settings.DATABASES["default"]["NAME"])

    def drop():
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    drop()
    yield name
    drop()


def _backup(folder: Path, media_roots: Path) -> subprocess.CompletedProcess:
    return _run(
        "backup",
        folder,
        "--database-url",
        _url(settings.DATABASES["default"]["NAME"]),
        "--media-root",
        media_roots / "media",
        "--private-media-root",
        media_roots / "private",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_test_database_restores_into_a_fresh_one_and_checks_out(
    tmp_path, some_data, media_roots, fresh_database
):
    server = _url(settings.DATABASES["default"]["NAME"])
    made = _backup(tmp_path / "backups", media_roots)
    assert made.returncode == 0, made.stderr

    checked = _run(
        "restore_check",
        tmp_path / "backups",
        "--server-url",
        server,
        "--database",
        fresh_database,
        "--media-dir",
        tmp_path / "restored",
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "RESTORE CHECK PASSED" in checked.stdout
    assert "FAIL" not in checked.stdout
    (folder,) = (tmp_path / "backups").glob("2*")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["latest"] == {"ticket": some_data["request"].pk, "visit": some_data["visit"].pk}
    assert manifest["points"] == {"entries": 3, "ledger_sum": 6, "accounts": 1, "balance_sum": 6}
    assert manifest["tables"]["public.tickets_ticket"] == 1
    with psycopg.connect(_url(fresh_database)) as conn:
        balance = conn.execute(
            "SELECT balance FROM points_account WHERE id = %s", [some_data["account"].pk]
        ).fetchone()
        request = conn.execute(
            "SELECT description FROM tickets_ticket WHERE id = %s", [some_data["request"].pk]
        ).fetchone()
    assert balance == (6,)
    assert request == ("楼道堆满纸箱",)
    photo = some_data["request"].photos.get().image.name
    assert (tmp_path / "restored" / "private" / photo).read_bytes() == (
        media_roots / "private" / photo
    ).read_bytes()
    assert (tmp_path / "restored" / "media" / "logo.txt").read_text() == "网格治理\n"

    # Run again, the restored database is not overwritten unless --replace says so.
    again = _run(
        "restore_check",
        tmp_path / "backups",
        "--server-url",
        server,
        "--database",
        fresh_database,
        "--media-dir",
        tmp_path / "elsewhere",
    )
    assert again.returncode == 1
    assert f"database {fresh_database} exists: choose another name or pass --replace" in (
        again.stderr
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_check_fails_when_the_database_or_media_differ_from_the_manifest(
    tmp_path, some_data, media_roots
):
    made = _backup(tmp_path / "backups", media_roots)
    assert made.returncode == 0, made.stderr
    # The checking part alone, on the database and files just backed up, after what a broken
    # restore looks like: a lost visit, a balance off its ledger, a photo that is not the one.
    Visit.objects.filter(pk=some_data["visit"].pk).delete()
    Account.objects.update(balance=F("balance") + 1)
    next((media_roots / "private").rglob("*.jpg")).write_bytes(b"not the photo")

    checked = _run(
        "restore_check",
        tmp_path / "backups",
        "--server-url",
        _url(settings.DATABASES["default"]["NAME"]),
        "--database",
        settings.DATABASES["default"]["NAME"],
        "--media-dir",
        media_roots,
        "--check-only",
    )

    assert checked.returncode == 1
    failed = [line for line in checked.stdout.splitlines() if line.startswith("FAIL")]
    assert any("table public.grids_visit: 0 rows, the manifest says 1" in f for f in failed)
    assert any(f"latest visit #{some_data['visit'].pk} present" in f for f in failed)
    assert any("points:" in f for f in failed)
    assert any(
        "check_balances" in f and "1 accounts do not match their ledger" in f for f in failed
    ), checked.stdout
    assert any("media:" in f and "differ" in f for f in failed)
    assert len(failed) == 5, checked.stdout
    assert "RESTORE CHECK FAILED" in checked.stdout


# --- Retention ---------------------------------------------------------------------------------


def test_retention_keeps_the_newest_backup_of_each_of_14_days_and_8_weeks():
    backup = _script_module("backup")
    start = dt.datetime(2026, 7, 1, 2, 30)
    # Two backups a day for 120 days (a manual one at 14:00 besides the nightly).
    names = [
        (start + dt.timedelta(days=d, hours=h)).strftime(backup.STAMP)
        for d in range(120)
        for h in (0, 12)
    ]

    kept = backup.to_keep(names, daily=14, weekly=8)

    newest_first = sorted(names, reverse=True)
    days = [n for n in newest_first if n.endswith("T143000Z")][:14]  # each day's later one
    by_week: dict = {}
    for name in newest_first:
        by_week.setdefault(dt.datetime.strptime(name, backup.STAMP).isocalendar()[:2], name)
    weeks = [by_week[week] for week in sorted(by_week, reverse=True)[:8]]  # each week's last
    assert kept == set(days) | set(weeks)
    assert len(kept) == 19  # the three newest weeks' last backups are among the 14 days


def test_pruning_deletes_what_retention_drops_and_a_dead_runs_leftovers(tmp_path):
    backup = _script_module("backup")
    for name in ("20261201T023000Z", "20261202T023000Z", "20261203T023000Z"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
    (tmp_path / "20261203T120000Z.partial").mkdir()  # a run that died half-way
    (tmp_path / "notes").mkdir()  # not a backup: left alone

    removed = backup.prune(tmp_path, daily=2, weekly=0)

    assert sorted(removed) == ["20261201T023000Z", "20261203T120000Z.partial"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "20261202T023000Z",
        "20261203T023000Z",
        "notes",
    ]


# --- Encryption at rest ------------------------------------------------------------------------


@pytest.fixture
def gpg_key(tmp_path, monkeypatch):
    """A key pair in a keyring of this test's own; the public half also as a file, which is
    all a backup server holds."""
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    uid = "Grid backups <backups@example.test>"
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            uid,
            "default",
            "default",
            "never",
        ],
        check=True,
        capture_output=True,
    )
    public = tmp_path / "backups.pub.asc"
    subprocess.run(
        ["gpg", "--batch", "--armor", "--output", public, "--export", uid],
        check=True,
        capture_output=True,
    )
    return public


def test_an_encrypted_backup_file_is_unreadable_without_the_key_and_decrypts_to_its_checksum(
    tmp_path, gpg_key
):
    backup = _script_module("backup")
    restore_check = _script_module("restore_check")
    folder = tmp_path / "20261207T023000Z"
    folder.mkdir()
    dump = folder / "db.dump"
    dump.write_bytes(b"PGDMP" + "张阿姨 13812345678".encode() * 100)
    manifest = {"files": {"db.dump": {"sha256": backup.sha256_of(dump)}}}

    stored = backup.encrypt(dump, str(gpg_key))
    manifest["files"]["db.dump"].update(
        encrypted="gpg", stored=stored.name, stored_sha256=backup.sha256_of(stored)
    )

    assert not dump.exists()
    assert b"13812345678" not in stored.read_bytes()
    report = restore_check.Report()
    assert restore_check.check_files(report, folder, manifest)
    plain = restore_check.plain_file(report, folder, manifest, "db.dump", tmp_path)
    assert plain.read_bytes().startswith(b"PGDMP")
    assert report.failed == 0
    # Another key's file in its place decrypts to something else: refused, not restored.
    manifest["files"]["db.dump"]["sha256"] = "0" * 64
    with pytest.raises(backup.BackupError):
        restore_check.plain_file(report, folder, manifest, "db.dump", tmp_path)
    assert report.failed == 1
