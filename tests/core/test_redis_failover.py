"""A Redis that restarts (a failover, a reboot, a managed Redis's maintenance) is picked up
again by the running process: the cache, the sessions in it and the broker's publishers
reconnect on their own, without restarting the web server or the worker.

A throwaway redis-server of the test's own, on a free port, is killed and started again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis as redis_py
from redis.sentinel import MasterNotFoundError, Sentinel

from core import cache as pausing_cache
from governance.celery import app
from tests.broker import publishing_to
from tests.waiting import (
    cpu_seconds,
    file_size,
    running,
    stop,
    wait_for_exit,
    wait_for_log,
    wait_for_progress,
)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayRedis:
    def __init__(self, directory: Path) -> None:
        # Its working directory: a replica writes the master's snapshot there.
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis_py.Redis(port=self.port, socket_connect_timeout=0.2)

        def answers() -> bool:
            try:
                return client.ping()
            except redis_py.ConnectionError:
                return False

        wait_for_progress(answers, bool, what=f"redis-server on port {self.port} to answer")

    def kill(self) -> None:
        """As a crash or a failover looks from here: gone at once, connections reset."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            wait_for_exit(self.process, what="the killed redis-server")


@pytest.fixture
def throwaway_redis(tmp_path):
    server = ThrowawayRedis(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def cache_on(settings, throwaway_redis):
    """Production's cache (django-redis, its options) on the throwaway Redis."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": settings.REDIS_CACHE_BACKEND,
            "LOCATION": throwaway_redis.url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    yield cache
    pausing_cache.resume()


def test_the_cache_works_again_after_redis_restarts_without_restarting_the_process(
    cache_on, throwaway_redis
):
    cache = cache_on
    cache.set("before", 1)
    assert cache.get("before") == 1
    pool = cache.client.get_client().connection_pool

    throwaway_redis.kill()
    assert cache.get("before") is None  # a miss, not an error: the caller reads the database
    cache.set("during", 1)  # skipped, logged
    assert cache.get("during") is None

    throwaway_redis.start()  # empty: --save '' and no append-only file, as after a failover

    def written() -> int | None:
        # core/cache.py stops asking for 2 s after a failure: skip the wait. A loaded machine
        # may still miss the 0.5 s timeout once; the call after it tries again.
        pausing_cache.resume()
        cache.set("after", 2)
        return cache.get("after")

    wait_for_progress(written, lambda value: value == 2, what="the cache to work again")
    assert cache.get("before") is None  # what the old Redis held is gone, and not believed
    # The same pool, reconnected: nothing in the process was rebuilt.
    assert cache.client.get_client().connection_pool is pool


def test_publishing_works_again_after_the_broker_restarts(throwaway_redis):
    queue = redis_py.Redis(port=throwaway_redis.port)
    with publishing_to(throwaway_redis.url):
        app.send_task("core.tasks.beat_tick")
        assert queue.llen("sweep") == 1

        throwaway_redis.kill()
        throwaway_redis.start()

        # The pooled connection died with the server; the next publish opens a new one.
        app.send_task("core.tasks.beat_tick")
        assert queue.llen("sweep") == 1  # the new, empty Redis holds the new message only


@pytest.mark.django_db(transaction=True)
def test_a_worker_picks_up_work_again_after_the_broker_restarts(throwaway_redis, tmp_path):
    """A real worker of the "sweep" queue, as compose runs it, loses its Redis and gets a new
    one on the same address: it reconnects by itself and runs the next tick. (A worker process
    starting is most of this test's 10-15 s: what reconnects is the worker, so it must be one.)"""
    from django.db import connection

    from core.models import Heartbeat

    db = connection.settings_dict
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": throwaway_redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "true",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "governance", "worker", "--pool=solo",
         "-Q", "sweep", "-n", "failover@%h", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "--loglevel=INFO", f"--logfile={log}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def ticked() -> None:
        wait_for_progress(
            lambda: (cpu_seconds(worker.pid), file_size(log)),
            lambda _: Heartbeat.objects.filter(name="beat").exists(),
            what="the worker to record the beat tick",
            alive=running(worker, "the worker"),
        )

    try:
        wait_for_log(worker, log, "ready.", what="the worker to start")
        with publishing_to(throwaway_redis.url):
            app.send_task("core.tasks.beat_tick")
            ticked()
            Heartbeat.objects.all().delete()

            throwaway_redis.kill()
            throwaway_redis.start()
            app.send_task("core.tasks.beat_tick")
            ticked()
        assert "Connection to broker lost" in log.read_text()
    finally:
        stop(worker, what="the worker")


def test_workers_reconnect_to_the_broker_for_as_long_as_it_takes():
    # Celery's default gives up after 100 attempts (about 50 minutes of back-off), and the
    # worker then exits: a long failover or maintenance window would need someone to restart it.
    assert app.conf.broker_connection_retry is True
    assert app.conf.broker_connection_max_retries is None
    assert app.conf.broker_connection_retry_on_startup is True


@pytest.fixture
def sentinel(throwaway_redis, tmp_path):
    """A Redis Sentinel watching the throwaway Redis as master "grid"."""
    port = _free_port()
    config = tmp_path / "sentinel.conf"  # a sentinel rewrites its file: one of its own
    config.write_text(
        f"port {port}\nbind 127.0.0.1\nsentinel monitor grid 127.0.0.1 {throwaway_redis.port} 1\n"
    )
    process = subprocess.Popen(
        ["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL
    )
    client = redis_py.Redis(port=port, socket_connect_timeout=0.2, decode_responses=True)

    def master() -> tuple | None:
        try:
            return tuple(client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "grid"))
        except redis_py.ConnectionError:
            return None

    wait_for_progress(master, bool, what="the sentinel to know the master")
    yield port
    process.send_signal(signal.SIGKILL)
    wait_for_exit(process, what="the killed sentinel")


def test_the_cache_and_the_broker_find_redis_through_the_sentinels(sentinel, throwaway_redis):
    from tests.core.test_settings import PRODUCTION, run_manage

    probe = (
        "from django.core.cache import cache; from governance.celery import app; "
        "cache.set('through-sentinel', 'yes'); print(cache.get('through-sentinel')); "
        "app.send_task('core.tasks.beat_tick')"
    )
    result = run_manage(
        "shell",
        "-c",
        probe,
        **PRODUCTION,
        # The host part is not used: the sentinels say where the master is.
        REDIS_URL="redis://unused-host/0",
        REDIS_SENTINELS=f"127.0.0.1:{sentinel}",
        REDIS_SENTINEL_MASTER="grid",
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "yes"
    master = redis_py.Redis(port=throwaway_redis.port)
    assert master.exists(":1:through-sentinel")  # django-redis's key: version 1
    assert master.llen("sweep") == 1


def test_the_cache_follows_a_sentinel_failover_to_the_promoted_replica(settings, tmp_path):
    """Master and replica watched by a sentinel; the master dies and the sentinel promotes the
    replica: the same process's cache, configured as REDIS_SENTINELS makes it, writes to the
    new master without a restart."""
    from django.core.cache import cache

    master, replica = ThrowawayRedis(tmp_path / "master"), ThrowawayRedis(tmp_path / "replica")
    sentinel_port = _free_port()
    sentinel_process = None
    try:
        master.start()
        replica.start()
        replica_client = redis_py.Redis(port=replica.port, decode_responses=True)
        replica_client.replicaof("127.0.0.1", master.port)
        wait_for_progress(
            lambda: replica_client.info("replication").get("master_link_status"),
            lambda status: status == "up",
            what="the replica to follow the master",
        )
        config = tmp_path / "sentinel.conf"
        config.write_text(
            f"port {sentinel_port}\nbind 127.0.0.1\n"
            f"sentinel monitor grid 127.0.0.1 {master.port} 1\n"
            "sentinel down-after-milliseconds grid 500\n"
            "sentinel failover-timeout grid 5000\n"
        )
        sentinel_process = subprocess.Popen(
            ["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL
        )
        sentinel = redis_py.Redis(
            port=sentinel_port, socket_connect_timeout=0.2, decode_responses=True
        )

        def sentinel_says() -> tuple:
            try:
                address = sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "grid")
                replicas = sentinel.execute_command("SENTINEL", "REPLICAS", "grid")
                return (tuple(address or ()), len(replicas))
            except redis_py.ConnectionError:
                return ((), 0)

        wait_for_progress(
            sentinel_says, lambda said: said[1] == 1, what="the sentinel to see the replica"
        )
        settings.CACHES = {
            "default": {
                "BACKEND": settings.REDIS_CACHE_BACKEND,
                "LOCATION": "redis://grid/0",
                "OPTIONS": {
                    **settings.REDIS_CACHE_OPTIONS,
                    "CLIENT_CLASS": "django_redis.client.SentinelClient",
                    "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                    "SENTINELS": [("127.0.0.1", sentinel_port)],
                    "SENTINEL_KWARGS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
                },
            }
        }
        cache.set("before-failover", 1)
        assert redis_py.Redis(port=master.port).exists(":1:before-failover")

        master.kill()
        # As redis-py asks (SENTINEL MASTERS, the master's flags): the address switches a
        # moment before the sentinel calls the new master healthy.
        watcher = Sentinel([("127.0.0.1", sentinel_port)], socket_timeout=0.5)

        def discovered() -> tuple | None:
            try:
                return watcher.discover_master("grid")
            except MasterNotFoundError:
                return None

        wait_for_progress(
            discovered,
            lambda address: address == ("127.0.0.1", replica.port),
            what="the sentinel to promote the replica",
        )

        def written() -> int | None:
            # The first calls may meet the dead master's connection, or time out on a loaded
            # machine (0.5 s, as in production): each is a miss, and the next call tries again.
            pausing_cache.resume()
            cache.set("after-failover", 2)
            return cache.get("after-failover")

        wait_for_progress(written, lambda value: value == 2, what="a write to the new master")
        assert replica_client.info("replication")["role"] == "master"
        assert replica_client.exists(":1:after-failover")
        assert replica_client.exists(":1:before-failover")  # replicated before the failover
    finally:
        pausing_cache.resume()
        if sentinel_process is not None:
            sentinel_process.send_signal(signal.SIGKILL)
            wait_for_exit(sentinel_process, what="the killed sentinel")
        master.kill()
        replica.kill()
