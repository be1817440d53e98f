"""The soak of issue 25: the production stack under a realistic mix for a long while.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_soak \\
    REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/soak.py [--minutes 30] [--rate 50] [--web-workers 4]

It creates the database DATABASE_URL names (it must not exist, unless ``--reuse-db``), loads
the demo at ``--scale`` (``small``: 2 streets and 2 towns, about 80 grids and 8,000
households; ``district``: about 1,000 grids, takes 20 minutes) and adds ``--tickets``
requests and ``--visits`` visits over a year with bench/generate.py. Then it starts what
production runs on this machine — gunicorn (``--web-workers``), a Celery worker consuming
every queue, Celery beat — on that database and the Redis database REDIS_URL names (the soak
empties it, before and after), and drives it open-loop at ``--rate`` requests/s for
``--minutes``: requests are sent at fixed moments whether or not earlier ones have answered.

The mix (weights in MIX): residents open the public QR form, submit it (each from an address
and a phone of their own, as behind the documented proxy, so the form's limits stay as in
production) and look at their request's page; grid workers open their visits page and a
household's form and log visits; community officers open the dispatch board, a request's
page and accept requests; officers open the dashboards of the district, a street, a
community and a grid. Meanwhile ``--due-per-minute`` of the generated open requests come due
(reminders, overdue notices, escalations, auto-closes), so beat's sweep and the deliveries
it writes run all along.

Printed at the end, and written as JSON to var/bench/soak-<timestamp>.json: p50/p95/p99 per
page kind and overall, errors (any unexpected status, any exception; target 0), the achieved
rate, the memory (RSS) of every process every ``--sample`` seconds with first and last sample
and the slope after warm-up (MB/min), the Celery queue depths, the deadline sweep's lag (age
of the oldest due request or summons) and the delivery backlog (age of the oldest due
delivery), sampled every ``--lag-sample`` seconds, the largest value reported. Everything it
starts is stopped on the way out (Ctrl-C, an error); the database is dropped unless it was
reused or ``--keep-db`` is given. Processes' logs go to var/soak/.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import itertools
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import (  # noqa: E402
    BIN,
    Client,
    Processes,
    answer_as_a_robot,
    production_env,
    wait_until,
)

# Page kinds and their share of the requests (per cent).
MIX = {
    "resident: public form": 14,
    "resident: submit request": 10,
    "resident: request page": 6,
    "worker: visits page": 8,
    "worker: household form": 8,
    "worker: log visit": 10,
    "officer: dispatch board": 12,
    "officer: request page": 8,
    "officer: accept request": 2,
    "dashboard: district": 4,
    "dashboard: street": 4,
    "dashboard: community": 6,
    "dashboard: grid": 8,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=50, help="requests per second, target")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--scale", choices=["small", "district"], default="small")
    parser.add_argument("--tickets", type=int, default=100_000, help="generated requests")
    parser.add_argument("--visits", type=int, default=200_000, help="generated visits")
    parser.add_argument("--days", type=int, default=365, help="history they are spread over")
    parser.add_argument(
        "--due-per-minute",
        type=int,
        default=60,
        help="open requests coming due for the sweep each minute of the soak",
    )
    parser.add_argument("--sink-port", type=int, default=8798, help="the group robots' server")
    parser.add_argument(
        "--sink-delay", type=float, default=0.1, help="seconds the robots' server takes to answer"
    )
    parser.add_argument("--sample", type=float, default=30, help="seconds between RSS samples")
    parser.add_argument("--lag-sample", type=float, default=10, help="seconds between lag samples")
    parser.add_argument(
        "--warmup",
        type=float,
        help="minutes left out of the memory slopes (default: a tenth of the run, at least 0.5)",
    )
    parser.add_argument(
        "--flat",
        type=float,
        default=0.5,
        help="largest RSS slope after warm-up (MB/min) still called flat",
    )
    parser.add_argument("--threads", type=int, default=64, help="load generator threads")
    parser.add_argument(
        "--backlog",
        type=float,
        default=5,
        help="seconds of requests that may wait for a free thread before more are not sent",
    )
    parser.add_argument("--reuse-db", action="store_true", help="run on a database loaded before")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = max(0.5, args.minutes / 10)
    return args


ARGS = parse_args()
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
if not DATABASE_URL.startswith("postgres"):
    sys.exit("Run this on PostgreSQL: DATABASE_URL=postgres://…/grid_soak (a database of its own)")
if not REDIS_URL.startswith("redis"):
    sys.exit("REDIS_URL=redis://127.0.0.1:6379/<n>: a Redis database of the soak's own")
STAMP = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
LOGS = ROOT / "var" / "soak" / STAMP
# The officers' email goes through the whole delivery path and no further.
CHILD_ENV = production_env(REDIS_URL, EMAIL_URL="dummymail://")
os.environ.update(CHILD_ENV)

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

# --- The database ----------------------------------------------------------------------------


def _maintenance():
    """A connection to the server's ``postgres`` database, to create and drop the soak's."""
    import psycopg

    url = urllib.parse.urlsplit(DATABASE_URL)
    return psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=urllib.parse.unquote(url.username or "postgres"),
        password=urllib.parse.unquote(url.password) if url.password else None,
        dbname="postgres",
        autocommit=True,
    )


def database_name() -> str:
    return urllib.parse.urlsplit(DATABASE_URL).path.lstrip("/")


def database_exists() -> bool:
    with _maintenance() as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name()])
        return found.fetchone() is not None


def create_database() -> None:
    from psycopg import sql

    with _maintenance() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name())))


def drop_database() -> None:
    from psycopg import sql

    connections.close_all()
    with _maintenance() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database_name())
            )
        )


def run(what: str, command: list[str]) -> None:
    started = time.monotonic()
    print(f"  {what}…", flush=True)
    with open(LOGS / "prepare.log", "ab") as log:
        done = subprocess.run(command, cwd=ROOT, env=CHILD_ENV, stdout=log, stderr=log)
    if done.returncode:
        sys.exit(f"{what} failed; see {LOGS / 'prepare.log'}")
    print(f"  {what}: {time.monotonic() - started:.0f} s", flush=True)


def load_data() -> None:
    """The demo at the chosen scale and a year of history on it, as bench/generate.py draws
    it for the dashboards benchmark."""
    python = str(BIN / "python")
    run("migrate", [python, "manage.py", "migrate", "-v0"])
    run(
        f"seed_demo --scale {ARGS.scale}", [python, "manage.py", "seed_demo", "--scale", ARGS.scale]
    )
    run(
        f"bench/generate.py: {ARGS.tickets:,} requests, {ARGS.visits:,} visits",
        [python, "bench/generate.py", "--tickets", str(ARGS.tickets), "--visits",
         str(ARGS.visits), "--days", str(ARGS.days), "--batch", "50000"],
    )  # fmt: skip


def schedule_due_points() -> int:
    """Requests come due at ``--due-per-minute`` through the soak (and its settling), the rest
    after it: the sweep has steady work, not the backlog of a year of generated history all
    due at once as after an outage. Returns how many come due during the run."""
    span = dt.timedelta(minutes=ARGS.minutes + 2)
    now = timezone.now()
    count = int(ARGS.due_per_minute * (ARGS.minutes + 2))
    with connection.cursor() as cursor:
        # Every request with a point ahead, whatever its status: the sweep claims on
        # ``next_check_at`` alone (a resolved request's is the end of its review period).
        cursor.execute(
            """
            WITH picked AS (
                SELECT id, row_number() OVER (ORDER BY random()) AS n
                FROM tickets_ticket
                WHERE next_check_at IS NOT NULL AND next_check_at < %(end)s
            )
            UPDATE tickets_ticket AS t SET next_check_at = CASE
                WHEN p.n <= %(count)s THEN %(now)s + %(span)s * (p.n::float / %(count)s)
                ELSE %(end)s + random() * interval '1 day' END
            FROM picked AS p WHERE t.id = p.id
            """,
            {"end": now + span, "count": count, "now": now, "span": span},
        )
        cursor.execute(
            "SELECT count(*) FROM tickets_ticket WHERE next_check_at <= %s", [now + span]
        )
        return cursor.fetchone()[0]


def settle() -> None:
    """What was due before the run (the demo's summonses, deliveries it left pending) is
    swept and sent first, as on a server that has been running: the lag measured is the
    soak's own."""
    python = str(BIN / "python")
    run("sweep_deadlines (what the demo left due)", [python, "manage.py", "sweep_deadlines"])
    run("send_due_deliveries", [python, "manage.py", "send_due_deliveries"])


class Sink(BaseHTTPRequestHandler):
    """The group robots' server: takes every message after ``--sink-delay`` seconds (a robot
    on the internet), and counts them."""

    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with Sink.lock:
            Sink.received += 1
        time.sleep(ARGS.sink_delay)
        answer_as_a_robot(self)

    def log_message(self, *args) -> None:
        pass


def messages_out() -> dict:
    """Where the notifications go: each street's and town's WeCom group robot (to the local
    sink; the demo's own point at the internet, which this machine does not reach, and are
    switched off), and email for the officers (the dummy backend: the delivery runs, nothing
    leaves). Returns what it set up."""
    from django.db.models import Value
    from django.db.models.functions import Concat

    from accounts.models import User
    from grids.models import Area
    from grids.roles import Level
    from notifications.models import NoticeChannel, WebhookTarget

    sink = f"http://127.0.0.1:{ARGS.sink_port}/robot"
    WebhookTarget.objects.filter(active=True).exclude(url=sink).update(active=False)
    streets = Area.objects.filter(level__in=[Level.STREET, Level.TOWN])
    for street in streets:
        WebhookTarget.objects.get_or_create(
            area=street, channel=NoticeChannel.WECOM, url=sink, defaults={"active": True}
        )
    emails = User.objects.filter(is_staff=True, email="").update(
        email=Concat("username", Value("@soak.invalid"))
    )
    return {"robots": streets.count(), "officers_given_email": emails}


def deliveries_by_state(since: dt.datetime) -> dict[str, int]:
    from django.db.models import Count

    from notifications.models import Delivery

    rows = (
        Delivery.objects.filter(notification__created_at__gte=since)
        .values("state")
        .annotate(n=Count("pk"))
    )
    return {row["state"]: row["n"] for row in rows}


# --- The stack -------------------------------------------------------------------------------

PROCESSES = Processes(LOGS, CHILD_ENV)


def start_stack() -> None:
    celery = str(BIN / "celery")
    PROCESSES.start(
        "gunicorn",
        [str(BIN / "gunicorn"), "governance.wsgi:application", "--bind",
         f"127.0.0.1:{ARGS.port}", "--workers", str(ARGS.web_workers), "--timeout", "120"],
    )  # fmt: skip
    from core.health import queues

    PROCESSES.start(
        "celery-worker",
        [celery, "-A", "governance", "worker", "-Q", ",".join(queues()), "-n", "soak@%h",
         "--loglevel=WARNING", f"--concurrency={ARGS.celery_concurrency}"],
    )  # fmt: skip
    PROCESSES.start(
        "celery-beat",
        [celery, "-A", "governance", "beat", "--loglevel=WARNING",
         f"--schedule={LOGS / 'celerybeat-schedule'}"],
    )  # fmt: skip

    def healthy() -> bool:
        try:
            return Client(ARGS.port, timeout=5).get("/healthz")[0] == 200
        except OSError:
            return False

    wait_until(healthy, "gunicorn to answer /healthz with 200 (beat and worker up)", 120)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- Memory ----------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def processes_now() -> dict[str, int]:
    """Label → pid of every process of the stack: each master and each of its children. A
    child replaced (a crash, a recycle) shows as a new label with its pid."""
    found = {}
    names = {
        "gunicorn": ("gunicorn master", "gunicorn worker"),
        "celery-worker": ("celery worker (main)", "celery pool process"),
        "celery-beat": ("celery beat", "celery beat child"),
    }
    for name, process in PROCESSES.running.items():
        main, child = names.get(name, (name, f"{name} child"))
        found[main] = process.pid
        for pid in sorted(_children(process.pid)):
            found[f"{child} {pid}"] = pid
    return found


class Memory:
    def __init__(self) -> None:
        self.series: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)

    def sample(self, at: float) -> None:
        for label, pid in processes_now().items():
            rss = _rss_mb(pid)
            if rss is not None:
                self.series[label].append((at, rss))


JUDGE_AFTER = 300  # seconds of samples after warm-up before "flat" is said either way


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares MB per minute."""
    if len(points) < 2:
        return None
    xs = [t / 60 for t, _ in points]
    ys = [v for _, v in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


# --- Lag -------------------------------------------------------------------------------------


def lag_now() -> dict:
    from core.health import queues
    from core.queue import depth
    from notifications import delivery
    from tickets.models import Ticket
    from tickets.sweep import oldest_due

    now = timezone.now()
    oldest = oldest_due(now)
    backlog = delivery.backlog(now=now)
    return {
        "queues": {name: depth(name) for name in queues()},
        "sweep_lag_s": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        "sweep_due": Ticket.objects.filter(next_check_at__lte=now).count(),
        "delivery_oldest_s": backlog["oldest_due_seconds"] or 0.0,
        "deliveries_due": backlog["due"],
    }


# --- The people ------------------------------------------------------------------------------


class Session:
    """A signed-in browser, used by one thread at a time."""

    def __init__(self, username: str, **context) -> None:
        self.username = username
        self.client = Client(ARGS.port)
        self.lock = threading.Lock()
        self.context = context
        status = self.client.login(username)
        if status != 302:
            sys.exit(f"{username} could not sign in ({status})")


def cast() -> dict:
    """Who does what: grid workers in grids of their own with their households, community
    officers, an officer for each level's dashboard; the grids residents file in."""
    from grids.models import Area, Household, Post
    from grids.roles import Level, Role

    rng = random.Random(ARGS.seed)
    posts = list(
        Post.objects.active()
        .filter(role__in=[Role.GRID_LEADER, Role.GRID_WORKER], area__level=Level.GRID)
        .select_related("area", "user")
        .order_by("area__path", "user__username")
    )
    by_grid = {}
    for post in posts:
        by_grid.setdefault(post.area_id, post)
    workers = rng.sample(list(by_grid.values()), min(12, len(by_grid)))
    communities = list(
        Post.objects.active()
        .filter(role=Role.COMMUNITY_STAFF)
        .select_related("area", "user")
        .order_by("user__username")
    )
    officers = [p for p in communities if p.user.username == "community"]
    officers += rng.sample(
        [p for p in communities if p.user.username != "community"], min(7, len(communities) - 1)
    )
    grid = Post.objects.active().get(user__username="worker").area
    street = Post.objects.active().get(user__username="street").area
    community = Post.objects.active().get(user__username="community").area
    district = Area.objects.get_root_nodes().first()
    return {
        "grids": list(Area.objects.filter(level=Level.GRID).values_list("code", flat=True)),
        "workers": [
            (
                post.user.username,
                list(
                    Household.objects.filter(grid=post.area)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:300]
                ),
            )
            for post in workers
        ],
        "officers": [post.user.username for post in officers],
        "dashboards": {
            "district": ("district", district.code),
            "street": ("street", street.code),
            "community": ("community", community.code),
            "grid": ("worker", grid.code),
        },
    }


TICKET_LINK = re.compile(r'href="/tickets/([A-Z0-9][A-Za-z0-9-]*)/"')
VERSION = re.compile(r'name="version" value="(\d+)"')
MATTER = re.compile(r'<option value="(\d+)"')


class Load:
    """The open-loop driver: what each page kind does, and what it found."""

    def __init__(self, people: dict) -> None:
        self.rng = random.Random(ARGS.seed)
        self.rng_lock = threading.Lock()
        self.grids = people["grids"]
        self.workers = [
            Session(name, households=households) for name, households in people["workers"]
        ]
        self.officers = [Session(name) for name in people["officers"]]
        self.dashboards = {
            kind: [Session(user, code=code) for _ in range(2)]
            for kind, (user, code) in people["dashboards"].items()
        }
        self.residents = itertools.count(1)
        self.lock = threading.Lock()
        # Browsers with the form open, waiting to submit; requests waiting to be looked at;
        # requests an officer saw with an Accept button.
        self.form_open: collections.deque = collections.deque(maxlen=2000)
        self.submitted: collections.deque = collections.deque(maxlen=2000)
        self.acceptable: collections.deque = collections.deque(maxlen=500)
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.slip: list[float] = []
        self.waiting = 0
        self.cpu_s = 0.0
        self.skipped = 0
        self.from_schedule: list[float] = []
        self.errors: collections.Counter = collections.Counter()
        self.error_samples: list[str] = []
        self.sent = 0
        self.done = 0

    def pick(self, items: list):
        with self.rng_lock:
            return self.rng.choice(items)

    def record(self, kind: str, took: float, problem: str | None) -> None:
        with self.lock:
            self.done += 1
            self.latency[kind].append(took * 1000)
            if problem:
                self.errors[kind] += 1
                if len(self.error_samples) < 50:
                    self.error_samples.append(f"{kind}: {problem}")

    def timed(self, kind: str, call, expect: int, session: Session | None = None):
        """One request: its latency, and an error when the status is not ``expect``."""
        started = time.perf_counter()
        try:
            if session is None:
                status, headers, body = call()
            else:
                with session.lock:
                    started = time.perf_counter()
                    status, headers, body = call()
        except Exception as error:  # any exception is an error to count
            self.record(kind, time.perf_counter() - started, f"{type(error).__name__}: {error}")
            return None
        took = time.perf_counter() - started
        self.record(kind, took, None if status == expect else f"status {status}")
        return (status, headers, body) if status == expect else None

    # Residents: an address and a phone of their own each, anonymous.

    def public_form(self) -> None:
        n = next(self.residents)
        browser = Client(ARGS.port, forwarded_for=f"10.{n // 62500 % 250}.{n // 250 % 250}."
                         f"{n % 250 + 1}")  # fmt: skip
        code = self.pick(self.grids)
        got = self.timed("resident: public form", lambda: browser.get(f"/r/{code}/"), 200)
        if got:
            matter = MATTER.search(got[2])
            self.form_open.append((browser, code, matter.group(1) if matter else "", n))

    def submit_request(self) -> None:
        try:
            browser, code, matter, n = self.form_open.popleft()
        except IndexError:
            return self.public_form()
        fields = {
            "matter": matter,
            "description": f"楼道堆物，消防通道被堵 soak-{n}",
            "address": "浸泡测试小区1幢",
            "reporter_name": "测试",
            "reporter_phone": f"139{n:08d}"[-11:],
            "website": "",
        }
        got = self.timed(
            "resident: submit request", lambda: browser.post(f"/r/{code}/", fields), 302
        )
        if got and "/t/" in got[1].get("Location", ""):
            self.submitted.append((browser, urllib.parse.urlsplit(got[1]["Location"]).path))

    def request_page(self) -> None:
        try:
            browser, path = self.submitted.popleft()
        except IndexError:
            return self.public_form()
        self.timed("resident: request page", lambda: browser.get(path), 200)

    # Grid workers, signed in, in their own grid.

    def visits_page(self) -> None:
        worker = self.pick(self.workers)
        self.timed("worker: visits page", lambda: worker.client.get("/visits/"), 200, worker)

    def household_form(self) -> None:
        worker = self.pick(self.workers)
        pk = self.pick(worker.context["households"])
        self.timed(
            "worker: household form",
            lambda: worker.client.get(f"/visits/household/{pk}/"),
            200,
            worker,
        )

    def log_visit(self) -> None:
        worker = self.pick(self.workers)
        fields = {
            "client_id": str(uuid.uuid4()),
            "household": self.pick(worker.context["households"]),
            "kind": "routine",
            "findings": "例行走访，一切正常",
            "tags": "all_well",
        }
        self.timed(
            "worker: log visit",
            lambda: worker.client.post(
                "/visits/submit/", fields, headers={"Accept": "application/json"}
            ),
            201,
            worker,
        )

    # Community officers on the dispatch board.

    def board(self) -> None:
        officer = self.pick(self.officers)
        got = self.timed("officer: dispatch board", lambda: officer.client.get("/tickets/"), 200,
                         officer)  # fmt: skip
        if got:
            codes = [c for c in TICKET_LINK.findall(got[2]) if c not in {"mine", "new"}]
            officer.context["codes"] = codes[:50]

    def ticket_page(self, officer: Session | None = None) -> None:
        officer = officer or self.pick(self.officers)
        codes = officer.context.get("codes")
        if not codes:
            return self.board()
        code = self.pick(codes)
        got = self.timed(
            "officer: request page", lambda: officer.client.get(f"/tickets/{code}/"), 200, officer
        )
        if got and f"/tickets/{code}/accept/" in got[2]:
            version = VERSION.search(got[2])
            if version:
                self.acceptable.append((officer, code, version.group(1)))

    def accept(self) -> None:
        try:
            officer, code, version = self.acceptable.popleft()
        except IndexError:
            return self.ticket_page()
        self.timed(
            "officer: accept request",
            lambda: officer.client.post(f"/tickets/{code}/accept/", {"version": version}),
            302,
            officer,
        )

    def dashboard(self, level: str) -> None:
        session = self.pick(self.dashboards[level])
        code = session.context["code"]
        self.timed(f"dashboard: {level}", lambda: session.client.get(f"/dashboard/{code}/"), 200,
                   session)  # fmt: skip

    def action(self, kind: str):
        return {
            "resident: public form": self.public_form,
            "resident: submit request": self.submit_request,
            "resident: request page": self.request_page,
            "worker: visits page": self.visits_page,
            "worker: household form": self.household_form,
            "worker: log visit": self.log_visit,
            "officer: dispatch board": self.board,
            "officer: request page": self.ticket_page,
            "officer: accept request": self.accept,
            "dashboard: district": lambda: self.dashboard("district"),
            "dashboard: street": lambda: self.dashboard("street"),
            "dashboard: community": lambda: self.dashboard("community"),
            "dashboard: grid": lambda: self.dashboard("grid"),
        }[kind]


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, int(len(ordered) * share + 0.5) - 1))], 1)


# --- The run ---------------------------------------------------------------------------------


def soak(load: Load, memory: Memory, lags: list[dict]) -> float:
    """Sends ``--rate`` requests a second for ``--minutes``; samples memory and lag meanwhile.
    Returns the seconds it took, the last answers included."""
    kinds = list(MIX)
    weights = [MIX[kind] for kind in kinds]
    draw = random.Random(ARGS.seed + 1)
    stop = threading.Event()
    began = time.monotonic()

    def sampler(every: float, work) -> None:
        next_at = began
        while not stop.is_set():
            try:
                work(time.monotonic() - began)
            except Exception as error:  # a sample lost is reported, not fatal
                print(f"  sample failed: {type(error).__name__}: {error}", flush=True)
            next_at += every
            stop.wait(max(0.0, next_at - time.monotonic()))
        connections.close_all()

    def lag_sample(at: float) -> None:
        figures = lag_now()
        figures["t_s"] = round(at, 1)
        lags.append(figures)

    def progress(at: float) -> None:
        memory.sample(at)
        with load.lock:
            done, errors, skipped = load.done, sum(load.errors.values()), load.skipped
        last = lags[-1] if lags else {}
        print(
            f"  {at / 60:5.1f} min: {done:,} answered ({done / max(at, 1):.1f}/s), {errors} errors,"
            f" {skipped} not sent,"
            f" sweep lag {last.get('sweep_lag_s', '?')} s, oldest delivery "
            f"{last.get('delivery_oldest_s', '?')} s, queues {last.get('queues', {})}",
            flush=True,
        )

    samplers = [
        threading.Thread(target=sampler, args=(ARGS.lag_sample, lag_sample), daemon=True),
        threading.Thread(target=sampler, args=(ARGS.sample, progress), daemon=True),
    ]
    for thread in samplers:
        thread.start()
    total = int(ARGS.minutes * 60 * ARGS.rate)
    cpu = os.times()
    backlog = max(10, int(ARGS.rate * ARGS.backlog))
    pool = ThreadPoolExecutor(max_workers=ARGS.threads)
    finished = False
    try:
        for i in range(total):
            due = began + i / ARGS.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            kind = draw.choices(kinds, weights)[0]

            with load.lock:
                if load.waiting >= backlog:
                    # Every thread is busy and seconds of requests wait for one: the
                    # server is not keeping up. Counted, not queued without end.
                    load.skipped += 1
                    continue
                load.waiting += 1

            def one(kind=kind, due=due) -> None:
                with load.lock:
                    load.waiting -= 1
                load.slip.append((time.monotonic() - due) * 1000)
                try:
                    load.action(kind)()
                except Exception as error:  # the driver's own: an error too
                    load.record(kind, 0.0, f"{type(error).__name__}: {error}")
                # Open loop: from the moment it was due, with the waits for a free thread and
                # for the person's session (one person does one thing at a time).
                load.from_schedule.append((time.monotonic() - due) * 1000)

            pool.submit(one)
            load.sent += 1
        finished = True
    finally:
        # The last answers are waited for; on Ctrl-C or an error, what has not left is dropped.
        pool.shutdown(wait=True, cancel_futures=not finished)
        took = time.monotonic() - began
        spent = os.times()
        load.cpu_s = spent.user + spent.system - cpu.user - cpu.system
        progress(took)
        stop.set()
        for thread in samplers:
            thread.join(timeout=60)
    return took


def report(load: Load, memory: Memory, lags: list[dict], took: float, prepared: dict) -> dict:
    everything = [ms for values in load.latency.values() for ms in values]
    pages = {}
    for kind in MIX:
        values = load.latency.get(kind, [])
        pages[kind] = {
            "count": len(values),
            "p50_ms": percentile(values, 0.50),
            "p95_ms": percentile(values, 0.95),
            "p99_ms": percentile(values, 0.99),
            "max_ms": round(max(values), 1) if values else None,
            "errors": load.errors.get(kind, 0),
        }
    overall = {
        "count": len(everything),
        "p50_ms": percentile(everything, 0.50),
        "p95_ms": percentile(everything, 0.95),
        "p99_ms": percentile(everything, 0.99),
        "max_ms": round(max(everything), 1) if everything else None,
        "errors": sum(load.errors.values()),
    }
    warm = ARGS.warmup * 60
    processes = {}
    for label, points in memory.series.items():
        after = [(t, v) for t, v in points if t >= warm]
        rate = slope(after)
        # A slope over a few minutes is warm-up noise, not a leak: judged from JUDGE_AFTER on.
        judged = rate is not None and after[-1][0] - after[0][0] >= JUDGE_AFTER
        processes[label] = {
            "first_mb": round(points[0][1], 1),
            "last_mb": round(points[-1][1], 1),
            "peak_mb": round(max(v for _, v in points), 1),
            "samples": len(points),
            "slope_mb_per_min": None if rate is None else round(rate, 2),
            "flat": rate <= ARGS.flat if judged else None,
            "series": [(round(t, 1), round(v, 1)) for t, v in points],
        }
    queue_names = sorted({name for sample in lags for name in sample["queues"]})
    lag = {
        "samples": len(lags),
        "max_queue_depth": {
            name: max((s["queues"][name] or 0) for s in lags) for name in queue_names
        },
        "max_sweep_lag_s": max((s["sweep_lag_s"] for s in lags), default=None),
        "max_delivery_oldest_s": max((s["delivery_oldest_s"] for s in lags), default=None),
        "series": lags,
    }
    return {
        "started": STAMP,
        "minutes": ARGS.minutes,
        "target_rate": ARGS.rate,
        "achieved_rate": round(load.done / took, 2),
        "sent": load.sent,
        "not_sent_server_behind": load.skipped,
        "answered": load.done,
        "seconds": round(took, 1),
        # The same requests timed from the moment each was due: what a person would have
        # waited had the generator's threads not been busy (open loop, no coordination).
        "overall_from_schedule": {
            "p50_ms": percentile(load.from_schedule, 0.50),
            "p95_ms": percentile(load.from_schedule, 0.95),
            "p99_ms": percentile(load.from_schedule, 0.99),
        },
        "generator_slip_ms": {
            "p50": percentile(load.slip, 0.5),
            "p99": percentile(load.slip, 0.99),
            "max": round(max(load.slip), 1) if load.slip else None,
        },
        # The load generator shares the machine: what it took of it.
        "generator_cpu_s": round(load.cpu_s, 1),
        "web_workers": ARGS.web_workers,
        "celery_concurrency": ARGS.celery_concurrency,
        "cpus": os.cpu_count(),
        "data": prepared,
        "mix": MIX,
        "pages": pages,
        "overall": overall,
        "error_samples": load.error_samples,
        "warmup_minutes": ARGS.warmup,
        "flat_threshold_mb_per_min": ARGS.flat,
        "processes": processes,
        "lag": lag,
    }


def print_report(figures: dict) -> None:
    print(f"\n## Soak: {figures['seconds'] / 60:.1f} min, {figures['data']['summary']}")
    print(
        f"rate: target {figures['target_rate']}/s, achieved {figures['achieved_rate']}/s "
        f"({figures['answered']:,} answered of {figures['sent']:,} sent); generator slip p99 "
        f"{figures['generator_slip_ms']['p99']} ms, CPU {figures['generator_cpu_s']} s"
    )
    if figures["not_sent_server_behind"]:
        print(
            f"NOT SENT: {figures['not_sent_server_behind']:,} requests (more than "
            f"{ARGS.backlog:g} s of them waiting for a free thread: the server fell behind)"
        )
    print(f"\n{'page kind':<28}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'errors':>8}")  # fmt: skip
    rows = [*figures["pages"].items(), ("overall", figures["overall"])]
    for kind, row in rows:
        print(
            f"{kind:<28}{row['count']:>8}{row['p50_ms'] or '-':>9}{row['p95_ms'] or '-':>9}"
            f"{row['p99_ms'] or '-':>9}{row['max_ms'] or '-':>9}{row['errors']:>8}"
        )
    late = figures["overall_from_schedule"]
    print(
        f"{'overall, from when due':<28}{'':>8}{late['p50_ms'] or '-':>9}"
        f"{late['p95_ms'] or '-':>9}{late['p99_ms'] or '-':>9}"
    )
    for sample in figures["error_samples"][:10]:
        print(f"  error: {sample}")
    print(
        f"\nmemory (RSS), slope after {figures['warmup_minutes']:.1f} min of warm-up "
        f"(flat: judged on {JUDGE_AFTER // 60} min or more after it):"
    )
    print(f"{'process':<30}{'first MB':>9}{'last MB':>9}{'peak MB':>9}{'MB/min':>9}  flat")
    for label, row in figures["processes"].items():
        flat = {None: "-", True: "yes", False: "NO"}[row["flat"]]
        per_min = "-" if row["slope_mb_per_min"] is None else row["slope_mb_per_min"]
        print(
            f"{label:<30}{row['first_mb']:>9}{row['last_mb']:>9}{row['peak_mb']:>9}"
            f"{per_min:>9}  {flat}"
        )
    lag = figures["lag"]
    depths = ", ".join(f"{name} {depth}" for name, depth in lag["max_queue_depth"].items())
    print(
        f"\nlag ({lag['samples']} samples): max queue depth {depths}; max sweep lag "
        f"{lag['max_sweep_lag_s']} s; max oldest due delivery {lag['max_delivery_oldest_s']} s"
    )
    out = figures["deliveries"]
    states = ", ".join(f"{n:,} {state}" for state, n in sorted(out["by_state"].items()))
    print(
        f"deliveries of the run's notifications: {states or 'none'}; "
        f"{out['robot_messages_at_sink']:,} robot messages at the sink"
    )


def main() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit("stopped"))
    LOGS.mkdir(parents=True, exist_ok=True)
    created = False
    sink = ThreadingHTTPServer(("127.0.0.1", ARGS.sink_port), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        if database_exists():
            if not ARGS.reuse_db:
                sys.exit(f"database {database_name()} exists: drop it, or pass --reuse-db")
        else:
            if ARGS.reuse_db:
                sys.exit(f"--reuse-db: database {database_name()} does not exist")
            create_database()
            created = True
        flush_redis()
        print(f"Preparing {database_name()} (logs in {LOGS.relative_to(ROOT)})", flush=True)
        if created:
            load_data()
        from grids.models import Area, Household
        from grids.roles import Level
        from tickets.models import Ticket
        from visits.models import Visit

        outgoing = messages_out()
        due = schedule_due_points()
        connections.close_all()
        settle()
        prepared = {
            "scale": ARGS.scale,
            "grids": Area.objects.filter(level=Level.GRID).count(),
            "households": Household.objects.count(),
            "requests": Ticket.objects.count(),
            "visits": Visit.objects.count(),
            "due_during_run": due,
            **outgoing,
        }
        prepared["summary"] = (
            f"{prepared['grids']:,} grids, {prepared['households']:,} households, "
            f"{prepared['requests']:,} requests, {prepared['visits']:,} visits"
        )
        print(f"  data: {prepared['summary']}; {due:,} due points during the run", flush=True)
        people = cast()
        connections.close_all()
        start_stack()
        print(
            f"gunicorn ×{ARGS.web_workers}, Celery worker (all queues, concurrency "
            f"{ARGS.celery_concurrency}) and beat up; signing in…",
            flush=True,
        )
        load = Load(people)
        memory, lags = Memory(), []
        print(f"Soaking {ARGS.minutes} min at {ARGS.rate} requests/s", flush=True)
        began = timezone.now()
        took = soak(load, memory, lags)
        figures = report(load, memory, lags, took, prepared)
        figures["deliveries"] = {
            "by_state": deliveries_by_state(began),
            "robot_messages_at_sink": Sink.received,
        }
        print_report(figures)
        out = ROOT / "var" / "bench" / f"soak-{STAMP}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
        print(f"\nJSON: {out.relative_to(ROOT)}")
    finally:
        PROCESSES.stop_all()
        sink.shutdown()
        connections.close_all()
        try:
            flush_redis()
        except Exception as error:  # cleaning up: say so, go on
            print(f"could not empty the Redis database: {error}")
        if created and not ARGS.keep_db:
            drop_database()
            print(f"database {database_name()} dropped")


if __name__ == "__main__":
    main()
