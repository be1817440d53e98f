"""Personas and the territory they work in, plus gates for real services.

Territory (longitude/latitude boxes that tile exactly):

    D  district                      120.0-120.4 × 31.0-31.2
    ├─ S1 street                     west half
    │  ├─ C1 community               south half of S1
    │  │  ├─ G1 grid (own)           west half of C1      ├─ M1, M2 micro-grids
    │  │  └─ G2 grid (neighbouring)  east half of C1
    │  └─ C2 community → G3 grid     north half of S1
    └─ S2 street → C3 community → G4 grid  (east half)
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.db import connection

from grids.models import Area, Post
from grids.roles import Role
from tests.factories import HouseholdFactory, PostFactory, ResidentFactory, UserFactory, area

REQUIRE_SERVICES = os.environ.get("CI_REQUIRE_SERVICES") == "1"


# Each app's shared fixtures (targets of the access matrix, say) live in
# tests/<app>/fixtures.py and are visible to every test directory.
def _fixture_modules() -> list[str]:
    found = []
    for app in (
        "grids",
        "notifications",
        "visits",
        "branches",
        "stations",
        "points",
        "tickets",
        "appraisal",
        "mediation",
        "safety",
        "deliberation",
        "estates",
        "onboarding",
    ):
        try:
            if importlib.util.find_spec(f"tests.{app}.fixtures") is not None:
                found.append(f"tests.{app}.fixtures")
        except ModuleNotFoundError:
            continue
    return found


pytest_plugins = _fixture_modules()


def _missing(reason: str) -> None:
    """Skip for a missing service; under CI (CI_REQUIRE_SERVICES=1) that is a failure."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(f"missing service: {reason}")


def _redis_reachable() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL (set DATABASE_URL=postgres://…)")
    if item.get_closest_marker("redis") and not _redis_reachable():
        _missing("Redis (set REDIS_URL=redis://…)")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if item.get_closest_marker("replica") and (reason := _replica_missing()):
        _missing(reason)


def _replica_missing() -> str | None:
    from django.conf import settings

    how = (
        "`bash scripts/replica.sh start`, then "
        "DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5433/<the database's name>"
    )
    configured = settings.DATABASES.get("replica")
    if configured is None:
        return f"a streaming replica of PostgreSQL ({how})"
    address = (configured["HOST"] or "127.0.0.1", int(configured["PORT"] or 5432))
    try:
        with socket.create_connection(address, 1):
            return None
    except OSError:
        return f"the streaming replica at {address[0]}:{address[1]} does not answer ({how})"


def pytest_configure(config):
    from django.conf import settings

    # PBKDF2 at production strength costs ~0.3 s per user; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every fragment a memo copies is rendered again and compared (core/templatetags/memo.py).
    settings.MEMO_VERIFY = True
    _flush_may_empty_the_ledger()
    _reads_stay_on_the_primary()


# The routers DATABASE_REPLICA_URL installs, put back by the ``replica`` fixture only.
ROUTERS: list[str] = []


def _reads_stay_on_the_primary() -> None:
    """Most tests run inside a transaction that a replica never sees, and may not touch a
    second database: without the router, every read goes to the primary whatever the
    environment says. Tests of the replica itself (``replica`` fixture) put it back."""
    from django.conf import settings
    from django.db import router

    ROUTERS[:] = settings.DATABASE_ROUTERS
    settings.DATABASE_ROUTERS = []
    router.__dict__.pop("routers", None)  # in case it was read already


def _flush_may_empty_the_ledger() -> None:
    """Transactional tests end with Django's flush: one TRUNCATE of every table, in one
    transaction. The ledger's and the audit log's triggers refuse that unless the transaction
    says it is meant (points/migrations/0006, core/migrations/0004), so the tests' flush says
    so; nothing outside tests does."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from core.models import ALLOW_AUDIT_TRUNCATE
    from points.models import ALLOW_TRUNCATE

    flush = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        if self.connection.vendor == "postgresql":
            sql_list = [ALLOW_TRUNCATE, ALLOW_AUDIT_TRUNCATE, *sql_list]
        return flush(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """A request leaves the language it activated on the thread (LocaleMiddleware does not
    put it back): each test starts in the default one, whatever ran before it in this
    process (under xdist, a different selection of tests than in a serial run)."""
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_refresh_stamp():
    """Dashboards cache their bodies under the rollups' refresh stamp, kept in the cache
    (Redis is shared by the whole run): each test starts from its own database's stamp."""
    from django.core.cache import cache

    from dashboards.rollup import REFRESHED_KEY

    cache.delete(REFRESHED_KEY)


def _forget_cached_facts(cache) -> None:
    """Users, their posts and unread counts are kept in a shared cache under versions (core/
    versioned.py) that the run's Redis outlives each test's database with: start afresh."""
    from accounts.backends import GENERATION
    from core.kept_bodies import PREFIX
    from grids.scope import SCOPE_VERSION

    cache.delete_many([SCOPE_VERSION, GENERATION])
    if hasattr(cache, "delete_pattern"):  # django-redis
        cache.delete_pattern("tickets:unread*", itersize=1000)
        # Kept bodies name rows' ids, which a flushed database or a restored demo repeats.
        cache.delete_pattern(f"{PREFIX}*", itersize=1000)


@pytest.fixture(autouse=True)
def _fresh_cached_facts():
    from django.core.cache import cache

    _forget_cached_facts(cache)


@pytest.fixture
def shared_cache(settings):
    """Redis as the cache every process shares, with what it allows (core/versioned.py),
    whatever this run's own settings are. Tests using it are marked ``redis``."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": settings.REDIS_CACHE_BACKEND,
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    settings.SHARED_CACHE = True
    _forget_cached_facts(cache)
    return cache


class Replica:
    """The streaming replica behind the ``replica`` alias, driven over connections of its own
    (to the ``postgres`` database, which exists before and after the test database does)."""

    # Pausing replay pauses it for every database, so tests of the replica take turns across
    # xdist workers (xdist_group cannot do it: pytest 9 ignores the node ids xdist 3.8 sets).
    TURN = 5433  # an advisory lock's key on the primary: the replica's port

    def __init__(self, primary: dict, replica: dict):
        self._primary = self._connect(primary)
        self._primary.execute("SET lock_timeout = '300s'")
        self._primary.execute("SELECT pg_advisory_lock(%s)", (self.TURN,))
        self._replica = self._connect(replica)

    @staticmethod
    def _connect(config: dict):
        import psycopg

        return psycopg.connect(
            host=config["HOST"] or "127.0.0.1",
            port=int(config["PORT"] or 5432),
            user=config["USER"],
            password=config["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )

    def _one(self, connection, sql: str, *params):
        return connection.execute(sql, params).fetchone()[0]

    def caught_up(self) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        from tests.waiting import wait_for_progress

        target = self._one(self._primary, "SELECT pg_current_wal_lsn()::text")
        wait_for_progress(
            lambda: self._one(
                self._replica,
                "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())::bigint",
                target,
            ),
            lambda behind: behind <= 0,
            what=f"the replica to replay the primary's WAL up to {target} (bytes behind)",
            stall=10,
            poll=0.01,
        )

    @contextmanager
    def paused(self):
        """Replay stopped: what the primary commits meanwhile is not on the replica (lag)."""
        self.caught_up()
        self._one(self._replica, "SELECT pg_wal_replay_pause()::text")
        try:
            yield
        finally:
            self.resume()

    def resume(self) -> None:
        self._one(self._replica, "SELECT pg_wal_replay_resume()::text")

    def terminate(self, pid: int) -> None:
        """End one of the replica's sessions, waiting (up to 5 s) until it is gone."""
        assert self._one(self._replica, "SELECT pg_terminate_backend(%s, 5000)", pid)

    def close(self) -> None:
        self.resume()
        self._replica.close()
        self._primary.close()  # ends the turn


@pytest.fixture
def replica(settings, transactional_db):
    """The ``replica`` alias on the streaming replica (scripts/replica.sh), reading the test
    database that pytest-django made on the primary and streaming carried over, with the
    router of DATABASE_REPLICA_URL installed. Tests using it are marked ``replica`` and
    ``django_db(transaction=True, databases=["default", "replica"])``: rows a test writes in
    a transaction that is never committed would never reach the replica."""
    from django.db import connections

    from core import replica as replica_reads

    settings.DATABASE_ROUTERS = ROUTERS
    primary = connections["default"].settings_dict
    configured = settings.DATABASES["replica"]
    alias = connections["replica"]
    alias.close()
    # The alias is a test mirror of the primary (settings.py), so pytest-django neither
    # created nor flushes a database through it; it is pointed back at the replica here.
    alias.settings_dict = {
        **primary,
        **{key: configured[key] for key in ("HOST", "PORT", "USER", "PASSWORD", "OPTIONS")},
        "TEST": {**primary["TEST"], "MIRROR": "default"},
    }
    replica_reads.forget_failures()
    server = Replica(primary, configured)
    try:
        server.caught_up()  # the test database itself is created after the replica started
        yield server
    finally:
        server.close()
        alias.close()
        replica_reads.forget_failures()


def sql_of(query: dict) -> str:
    """A captured query's SQL; for the ``EXECUTE`` of a statement ``core.statements`` prepared,
    the statement it runs (call it after the capture: it asks the database)."""
    sql = query["sql"]
    if not sql.startswith("EXECUTE gg_"):
        return sql
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = %s", [sql.split()[1]]
        )
        found = cursor.fetchone()
    return found[0].split(" AS ", 1)[1] if found else sql


def record_calls(monkeypatch, owner, name: str, pick) -> list:
    """Patch ``owner.name`` to record ``pick(*args)`` for each call, then call the original:
    how often a cached fact was read from the database."""
    calls = []
    real = getattr(owner, name)

    def recorded(*args, **kwargs):
        calls.append(pick(*args))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recorded)
    return calls


# --- Territory and personas -----------------------------------------------------------------


@dataclass
class Territory:
    district: Area
    street: Area
    other_street: Area
    community: Area
    other_community: Area
    grid: Area
    neighbour_grid: Area
    far_grid: Area
    other_street_grid: Area
    micro: Area
    micro2: Area


@pytest.fixture(scope="session")
def demo_photos(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-photos")


@pytest.fixture(scope="session")
def demo_shared(tmp_path_factory):
    """Where the run's test workers share the demo's first seeding (None in one process)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    return tmp_path_factory.getbasetemp().parent / f"demo-{run}" if run else None


@pytest.fixture
def demo(transactional_db, demo_photos, demo_shared):
    """The demo district as ``seed_demo`` leaves it (seeded once per run on PostgreSQL,
    tests/demo_snapshot.py), for browser journeys and for checks of the demo itself."""
    from tests import demo_snapshot

    demo_snapshot.load(demo_photos, demo_shared)


@pytest.fixture
def territory(db) -> Territory:
    D = area(None, "D", "district", (120.0, 31.0, 120.4, 31.2), name="示范区")
    S1 = area(D, "S1", "street", (120.0, 31.0, 120.2, 31.2), name="一号街道")
    S2 = area(D, "S2", "street", (120.2, 31.0, 120.4, 31.2), name="二号街道")
    C1 = area(S1, "C1", "community", (120.0, 31.0, 120.2, 31.1), name="幸福社区")
    C2 = area(S1, "C2", "community", (120.0, 31.1, 120.2, 31.2), name="和平社区")
    C3 = area(S2, "C3", "community", (120.2, 31.0, 120.4, 31.2), name="阳光社区")
    G1 = area(
        C1, "G1", "grid", (120.0, 31.0, 120.1, 31.1), grid_kind="comprehensive", name="幸福第一网格"
    )
    G2 = area(
        C1, "G2", "grid", (120.1, 31.0, 120.2, 31.1), grid_kind="comprehensive", name="幸福第二网格"
    )
    G3 = area(
        C2, "G3", "grid", (120.0, 31.1, 120.2, 31.2), grid_kind="comprehensive", name="和平第一网格"
    )
    G4 = area(
        C3,
        "G4",
        "grid",
        (120.2, 31.0, 120.4, 31.2),
        grid_kind="dedicated",
        dedicated_type="industrial_park",
        name="科技园专属网格",
    )
    M1 = area(G1, "G1-M1", "micro_grid", (120.0, 31.0, 120.05, 31.1), name="第1微网格")
    M2 = area(G1, "G1-M2", "micro_grid", (120.05, 31.0, 120.1, 31.1), name="第2微网格")
    return Territory(D, S1, S2, C1, C2, G1, G2, G3, G4, M1, M2)


def _person(username: str, role: str, at: Area):
    user = UserFactory(username=username)
    PostFactory(user=user, area=at, role=role)
    return user


@pytest.fixture
def own_worker(territory):
    """Full-time grid worker of G1."""
    return _person("own_worker", Role.GRID_WORKER, territory.grid)


@pytest.fixture
def neighbour_worker(territory):
    """Full-time grid worker of G2, the next grid in the same community."""
    return _person("neighbour_worker", Role.GRID_WORKER, territory.neighbour_grid)


@pytest.fixture
def community_officer(territory):
    return _person("community_officer", Role.COMMUNITY_STAFF, territory.community)


@pytest.fixture
def street_officer(territory):
    return _person("street_officer", Role.STREET_STAFF, territory.street)


@pytest.fixture
def other_street_officer(territory):
    return _person("other_street_officer", Role.STREET_STAFF, territory.other_street)


@pytest.fixture
def district_officer(territory):
    return _person("district_officer", Role.DISTRICT_STAFF, territory.district)


@pytest.fixture
def part_time_worker(territory):
    return _person("part_time_worker", Role.PART_TIME_WORKER, territory.grid)


PERSONAS = [
    "own_worker",
    "neighbour_worker",
    "street_officer",
    "other_street_officer",
    "district_officer",
    "anonymous",
]


@pytest.fixture
def persona(request, client):
    """Log the test client in as the named persona (``anonymous``: not at all)."""

    def login(name: str):
        client.logout()
        if name == "anonymous":
            return None
        user = request.getfixturevalue(name)
        client.force_login(user)
        return user

    return login


@pytest.fixture
def household(territory):
    return HouseholdFactory(
        grid=territory.grid, micro_grid=territory.micro, longitude=120.02, latitude=31.05
    )


@pytest.fixture
def resident(household):
    return ResidentFactory(household=household)


@pytest.fixture
def other_household(territory):
    return HouseholdFactory(grid=territory.neighbour_grid)


@pytest.fixture
def post_in_grid(territory):
    return PostFactory(area=territory.grid, role=Post.Role.VOLUNTEER)


@pytest.fixture
def own_worker_other_session(own_worker):
    """Another open session of the own worker (a phone elsewhere), as its row."""
    from django.utils import timezone

    from accounts.models import UserSession

    now = timezone.now()
    return UserSession.objects.create(
        user=own_worker,
        session_key="elsewhere0000000000000000000000a",
        user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36",
        started_at=now,
        last_seen_at=now,
    )


@pytest.fixture
def sms_log(caplog):
    """The text messages the logging SMS backend (core.sms, the default) wrote, newest last;
    ``sms_log.code()`` is the last 6-digit code sent. Messages sent by the live server's
    thread are caught too (the log handler is process-wide)."""
    import logging
    import re

    caplog.set_level(logging.INFO, logger="notifications.sms")

    class Log:
        def messages(self) -> list[str]:
            return [r.getMessage() for r in caplog.records if r.name == "notifications.sms"]

        def code(self) -> str:
            for message in reversed(self.messages()):
                found = re.findall(r"(?<!\d)\d{6}(?!\d)", message.split("]: ", 1)[-1])
                if found:
                    return found[0]
            raise AssertionError("no code in the SMS log")

        def link(self) -> str:
            for message in reversed(self.messages()):
                found = re.search(r"\S*/accounts/activate/[^/\s]+/", message)
                if found:
                    return found.group(0)
            raise AssertionError("no activation link in the SMS log")

    return Log()
