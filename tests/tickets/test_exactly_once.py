"""Proof that deadline work happens exactly once, with real processes on PostgreSQL and Redis:
three sweepers at once with one killed mid-batch, a Celery worker killed mid-send, and a
broker outage while requests are filed and deadlines pass.

These tests start ``manage.py`` and ``celery`` subprocesses against the test database, so
their data is committed (transaction=True) and the clock is the real one: "deadlines pass" is
done by moving the rows' times back, as the hours would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from notifications import delivery
from notifications.models import (
    Delivery,
    NoticeChannel,
    NoticeKind,
    Notification,
    WebhookTarget,
)
from tests.broker import publishing_to
from tests.waiting import (
    STALL_SECONDS,
    cpu_seconds,
    read_text,
    running,
    stop,
    wait_for_exit,
    wait_for_log,
    wait_for_progress,
)
from tickets import sweep, timeline
from tickets.models import (
    Channel,
    Status,
    Ticket,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]
# The subprocesses' queue gets a Redis database of its own (it is flushed before each test):
# four below the run's (each xdist worker has its own, tests/per_worker.py), so two runs or
# two workers never share it.
BROKER_DB_OFFSET = 4


# --- A group robot that counts what it is sent ------------------------------------------------


class Robot(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float):
        self.delay = delay
        self.keys: list[str] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), RobotHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/cgi-bin/webhook/send?key=test"


class RobotHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.server.delay)  # a robot on the intranet takes a moment
        with self.server.lock:
            self.server.keys.append(self.headers.get("X-Idempotency-Key", ""))
        body = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    server = Robot(delay=0.01)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# --- Subprocesses on the test database --------------------------------------------------------


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _env(broker: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "true",
        "EMAIL_URL": "dummymail://",
        # The proof is about exactly once, not about waking nobody at night.
        "QUIET_HOURS_START": "0",
        "QUIET_HOURS_END": "0",
        "PYTHONUNBUFFERED": "1",
        # The robot answers from a thread of the test process, which a loaded machine may
        # keep waiting past a real robot's 5 s: a timeout here is a retry minutes later.
        "NOTIFY_HTTP_TIMEOUT": str(int(STALL_SECONDS)),
    }
    env.update(extra)
    return env


def _manage(*args: str, env: dict, output: Path) -> subprocess.Popen:
    """``manage.py`` in a subprocess, its output to a file (a pipe nobody reads while the test
    waits for the process could fill and stop it)."""
    with output.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    process.output = output
    return process


def _worker(env: dict, name: str, logs: Path) -> subprocess.Popen:
    """A Celery worker, returned once it is consuming (its log says ``ready``). The wait lasts
    as long as the worker is alive and starting up, however loaded the machine is. Its log
    (INFO: every task received and finished) is ``process.log``."""
    log = logs / f"celery-{name}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "governance",
            "worker",
            "--pool=solo",
            # The sweeps' queue and the messages' (settings.CELERY_TASK_ROUTES).
            "-Q",
            "celery,deliveries",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}@%h",
            "--loglevel=INFO",
            f"--logfile={log}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process.log = log
    try:
        wait_for_log(process, log, " ready.", what=f"the worker {name!r} to be ready")
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process


TASK_LINE = re.compile(r"Task [\w.]+\[([\w-]+)\] (received|succeeded|raised|retry|ignored)")


def _tasks(log: Path) -> tuple[int, int]:
    """How many tasks a worker's log says it received, and how many of them it finished."""
    received, finished = set(), set()
    for task_id, event in TASK_LINE.findall(read_text(log)):
        (received if event == "received" else finished).add(task_id)
    return len(received), len(received & finished)


def _holding_a_batch(application_name: str):
    def check(_progress=None) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND backend_xid IS NOT NULL",
                [application_name],
            )
            return cursor.fetchone()[0] > 0

    return check


@pytest.fixture
def broker():
    """A Redis database of its own for the subprocesses' queue, emptied first."""
    base = urlparse(os.environ["REDIS_URL"])
    own = int(base.path.strip("/") or 0) - BROKER_DB_OFFSET
    if own < 0:
        pytest.fail(f"REDIS_URL {base.geturl()}: use database {BROKER_DB_OFFSET} or higher")
    url = f"redis://{base.hostname}:{base.port or 6379}/{own}"
    redis.Redis.from_url(url).flushdb()
    return url


# --- Three sweepers, one killed; a worker killed mid-send -------------------------------------


def _due_tickets(n: int, area, matter, now: dt.datetime) -> None:
    """``n`` requests submitted 3½ hours ago with 4 hours to answer: the 80% reminder is due
    (the 50% one passed too and is skipped)."""
    submitted = now - dt.timedelta(hours=3, minutes=30)
    rows = []
    for i in range(n):
        ticket = Ticket(
            channel=Channel.QR,
            matter=matter,
            description=f"第{i}件",
            reporter_phone="13812345678",
            area=area,
            status=Status.SUBMITTED,
            submitted_at=submitted,
            response_due=submitted + dt.timedelta(hours=4),
        )
        timeline.schedule(ticket)
        rows.append(ticket)
    Ticket.objects.bulk_create(rows, batch_size=2000)


def test_three_sweepers_and_a_killed_worker_write_and_send_every_reminder_once(
    territory, matter, dispatcher, robot, broker, record_property, settings, tmp_path
):
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = 0
    settings.NOTIFY_HTTP_TIMEOUT = int(STALL_SECONDS)
    dispatcher.email = ""  # the robot is the channel counted here; the bell always works
    dispatcher.save()
    WebhookTarget.objects.create(
        area=territory.neighbour_grid, channel=NoticeChannel.WECOM, url=robot.url
    )
    now = timezone.now()
    # Six of the sweep's batches (tickets.sweep.BATCH) for three sweepers: each claims work,
    # one is killed holding a batch, the others must take what it held.
    _due_tickets(2_800, territory.grid, matter, now)
    _due_tickets(200, territory.neighbour_grid, matter, now)  # their robot: 200 deliveries
    env = _env(broker)

    victim = {**env, "DATABASE_URL": _database_url() + "?application_name=sweeper-victim"}
    # The victim first, alone: started beside the others, it sometimes found every batch
    # claimed and finished cleanly before it could be caught holding one.
    killed = _manage("sweep_deadlines", env=victim, output=tmp_path / "sweeper-1.txt")
    # Kill the victim while it holds a claimed batch: its transaction has locked rows (and so
    # has a transaction id) but has not committed. It starts up (CPU) until then.
    wait_for_progress(
        lambda: cpu_seconds(killed.pid),
        _holding_a_batch("sweeper-victim"),
        what="the victim to claim a batch",
        alive=running(killed, "the victim sweeper"),
        poll=0.005,
    )
    killed.send_signal(signal.SIGKILL)
    sweepers = [
        _manage("sweep_deadlines", env=env, output=tmp_path / f"sweeper-{i}.txt") for i in (0, 2)
    ]
    wait_for_exit(
        [killed, *sweepers],
        what="the sweepers to finish",
        extra_progress=lambda: [p.output.stat().st_size for p in sweepers],
    )
    outputs = [p.output.read_text() for p in sweepers]
    assert sweepers[0].returncode == sweepers[1].returncode == 0, outputs
    # The next minute's sweep picks up whatever the killed sweeper had claimed.
    leftover = sweep.sweep(now=timezone.now())

    reminders = Notification.objects.filter(kind=NoticeKind.REMINDER)
    assert reminders.filter(recipient=dispatcher).count() == 3_000  # none missed
    assert reminders.filter(webhook__isnull=False).count() == 200
    duplicates = (
        reminders.values("subject_type", "subject_id", "level", "recipient", "webhook")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    assert not Ticket.objects.filter(checked_until__isnull=True).exists()

    # Deliveries: the sweepers enqueued 200 robot messages on commit. A worker is killed in
    # the middle of sending; a second one finishes the queue; the lease of the message the
    # first was holding runs out and the periodic job sends it.
    assert Delivery.objects.filter(state=Delivery.State.PENDING).count() == 200
    first = _worker(env, "first", tmp_path)
    try:
        wait_for_progress(
            lambda: len(robot.keys),
            lambda sent: sent >= 60,
            what="the first worker to send 60",
            alive=running(first, "the first worker"),
        )
    finally:
        stop(first, what="the first worker to die", sig=signal.SIGKILL)
    killed_at = len(robot.keys)
    queue = redis.Redis.from_url(broker)
    # Nobody else takes from the queue: what is left in it now is what the second worker
    # will receive, neither more (an unacked message comes back only after the visibility
    # timeout, an hour) nor less.
    left = queue.llen("celery") + queue.llen("deliveries")
    second = _worker(env, "second", tmp_path)
    try:
        # The second worker has received all that was left, and finished each: it is idle
        # (its log says so; no wall-clock "nothing moved for a second" guess).
        wait_for_progress(
            lambda: _tasks(second.log),
            lambda tasks: tasks == (left, left),
            what=f"the second worker to take and finish the {left} tasks left in the queue "
            "(tasks received, finished)",
            alive=running(second, "the second worker"),
        )
    finally:
        stop(second, what="the second worker's warm shutdown")
    # What the killed worker held: a message it had claimed ("sending": handed to the robot
    # or not, nobody knows), or one it had reserved but not begun. Redis would hand the
    # latter back only after the visibility timeout; the lease runs out sooner and the
    # periodic job sends it. The former is not resent blindly: it becomes "unknown".
    in_flight = Delivery.objects.filter(state=Delivery.State.SENDING).count()
    tried = delivery.send_due_inline(now=timezone.now() + delivery.LEASE + dt.timedelta(minutes=1))

    unknown = set(
        Delivery.objects.filter(state=Delivery.State.UNKNOWN).values_list(
            "idempotency_key", flat=True
        )
    )
    sent = set(
        Delivery.objects.filter(state=Delivery.State.SENT).values_list("idempotency_key", flat=True)
    )
    assert len(sent) + len(unknown) == 200
    assert len(unknown) == in_flight <= 1
    received = Counter(robot.keys)
    assert sent <= set(received) <= sent | unknown  # none missed, the unknown one maybe not
    repeated = sum(n - 1 for n in received.values())
    assert repeated == 0  # a robot does not drop repeats: none is sent twice
    survivors = [output.strip().splitlines()[-1] for output in outputs]
    report = (
        f"sweepers: {survivors}, a third killed holding a batch first; catch-up sweep "
        f"claimed {leftover.claimed}; worker killed after {killed_at} robot calls; "
        f"{in_flight} claimed send(s) left by it (now unknown, for staff), the rest: "
        f"{tried}; robot messages sent twice: {repeated}"
    )
    record_property("exactly_once", report)
    print(report)


# --- The broker goes away ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, port: int):
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_progress(
            lambda: cpu_seconds(self.process.pid),
            lambda _cpu: self.answers(),
            what=f"redis-server to listen on {self.port}",
            alive=running(self.process, "redis-server"),
            poll=0.05,
        )

    def answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, what="redis-server to stop", sig=signal.SIGKILL)
            self.process = None


@pytest.fixture
def own_redis():
    import shutil

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(_free_port())
    server.start()
    yield server
    server.stop()


def test_a_broker_outage_loses_no_reminder_and_fails_no_request(
    client, territory, matter, dispatcher, member_worker, robot, own_redis, settings, tmp_path
):
    from django.core.cache import cache

    cache.clear()  # the public form's rate limits live in Redis and outlast a test run
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = 0
    settings.NOTIFY_HTTP_TIMEOUT = int(STALL_SECONDS)
    with publishing_to(own_redis.url):
        member_worker.email = "member@grid.local"
        member_worker.save()
        WebhookTarget.objects.create(
            area=territory.grid, channel=NoticeChannel.WECOM, url=robot.url
        )
        own_redis.stop()  # the outage begins

        # Residents file requests and the community dispatches them: every request succeeds.
        codes = []
        for i in range(5):
            response = client.post(
                reverse("resident_request", kwargs={"code": territory.grid.code}),
                {
                    "matter": matter.pk,
                    "description": f"楼道堆满纸箱 {i}",
                    "reporter_phone": f"1381234567{i}",
                    "website": "",
                },
                REMOTE_ADDR=f"10.9.0.{i + 1}",
            )
            assert response.status_code in (200, 302), response.status_code
        client.force_login(dispatcher)
        for ticket in Ticket.objects.order_by("pk"):
            codes.append(ticket.short_code)
            url = reverse("ticket_act", kwargs={"code": ticket.short_code, "action": "accept"})
            assert client.post(url, {"version": ticket.version}).status_code == 302
            ticket.refresh_from_db()
            url = reverse("ticket_act", kwargs={"code": ticket.short_code, "action": "assign"})
            response = client.post(url, {"version": ticket.version, "assignee": member_worker.pk})
            assert response.status_code == 302
        assert Ticket.objects.filter(status=Status.ASSIGNED).count() == 5
        # The assignments' emails and the new requests' robot messages were written but could
        # not be enqueued.
        assert Delivery.objects.filter(state=Delivery.State.PENDING).count() == 5 + 5

        # Four days pass: the completion deadlines (3 working days) go by, and a sweep
        # (a worker still holding beat's message) writes the reminders and overdue notices.
        for ticket in Ticket.objects.all():
            ticket.accepted_at -= dt.timedelta(days=6)
            ticket.completion_due = timezone.now() - dt.timedelta(minutes=5)
            ticket.submitted_at -= dt.timedelta(days=6)
            ticket.response_due -= dt.timedelta(days=6)
            timeline.schedule(ticket)
            ticket.save()
        run = sweep.sweep()
        assert run.claimed == 5
        robot_rows = Delivery.objects.filter(notification__webhook__isnull=False)
        # The new request and the overdue notice reach the grid's robot (the 50% and 80%
        # points passed unsent: stale after the deadline); the escalation goes to the community.
        assert robot_rows.count() == 5 * 2
        assert not robot.keys

        own_redis.start()  # the broker is back
        env = _env(own_redis.url)
        worker = _worker(env, "after-outage", tmp_path)
        try:
            total = Delivery.objects.count()
            assert delivery.send_due() == total
            sent = Delivery.objects.filter(state=Delivery.State.SENT)
            wait_for_progress(
                sent.count,
                lambda n: n == total,
                what=f"every delivery to be sent (sent of {total})",
                alive=running(worker, "the worker"),
            )
            # A second pass of the periodic job finds nothing and sends nothing twice.
            assert delivery.send_due() == 0
        finally:
            stop(worker, what="the worker's warm shutdown")

    received = Counter(robot.keys)
    assert set(received) == set(robot_rows.values_list("idempotency_key", flat=True))
    assert max(received.values()) == 1
    assert len(codes) == 5
