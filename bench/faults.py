"""The fault drill of issue 18: real processes, real faults, figures printed.

    createdb -h 127.0.0.1 -U postgres grid_faults
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_faults \\
        .venv/bin/python bench/faults.py [--outage 60] [--due 5000] [--deliveries 2000]

It starts what production runs (docker-compose.yml), on this machine: a Redis of its own (on
``--redis-port``, so that stopping it disturbs nobody), gunicorn with 4 workers, a Celery
worker for each queue and beat, all on the PostgreSQL database that DATABASE_URL names (the
demo district is loaded into it first). Then three drills:

1. **Redis stopped under load.** Residents submit the public form (each from an address of
   their own, behind the proxy header), a grid worker logs visits and an officer signs in and
   opens the board, before, during a ``--outage``-second Redis stop, and after it. Printed:
   the answers per phase, rows lost (an answer that said "saved" with no row behind it), and
   how long the deliveries the outage left behind took to go out once Redis was back.
2. **A sweep of ``--due`` overdue requests with a person's action in the middle.** The worker
   escalates them all; meanwhile the community's dispatcher accepts requests on the board
   (over HTTP, as a browser would). Printed: the sweep's length, the accept latencies and
   answers.
3. **A worker killed during deliveries.** ``--deliveries`` group-robot messages to a local
   sink; the delivery worker is killed (SIGKILL) part-way and started again. Printed: messages
   at the sink, duplicates (one delivery received twice) and deliveries not sent, by state.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LOGS = ROOT / "var" / "faults"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=60, help="seconds Redis is stopped")
    parser.add_argument("--around", type=float, default=20, help="load before and after it")
    parser.add_argument("--residents", type=int, default=4, help="resident threads")
    parser.add_argument("--due", type=int, default=5000)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--redis-port", type=int, default=6395)
    parser.add_argument("--web-port", type=int, default=8795)
    parser.add_argument("--sink-port", type=int, default=8796)
    parser.add_argument(
        "--sink-delay", type=float, default=0.2, help="seconds the robot takes to answer"
    )
    parser.add_argument(
        "--only", choices=["redis", "sweep", "deliveries"], action="append", help="drills to run"
    )
    return parser.parse_args()


from bench.stack import production_env  # noqa: E402

ARGS = parse_args()
REDIS_URL = f"redis://127.0.0.1:{ARGS.redis_port}/0"
CHILD_ENV = production_env(REDIS_URL)
os.environ.update(CHILD_ENV)

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit(
        "Run this on PostgreSQL: DATABASE_URL=postgres://…/grid_faults (a database of its own)"
    )

import django  # noqa: E402

django.setup()
# The drill's own enqueues meet a stopped Redis on purpose; the figures are the output.
logging.disable(logging.WARNING)

from django.db import connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import stack  # noqa: E402
from bench.stack import BIN, PASSWORD, Processes, answer_as_a_robot, wait_until  # noqa: E402

# --- Processes -------------------------------------------------------------------------------


PROCESSES = Processes(LOGS, CHILD_ENV)


def redis_start() -> None:
    PROCESSES.start(
        "redis",
        ["redis-server", "--port", str(ARGS.redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
    )  # fmt: skip
    wait_until(lambda: redis_ping(), "Redis to answer", 20)


def redis_ping() -> bool:
    result = subprocess.run(
        ["redis-cli", "-p", str(ARGS.redis_port), "ping"], capture_output=True, text=True
    )
    return result.stdout.strip() == "PONG"


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", str(ARGS.redis_port), "shutdown", "nosave"], check=False)
    PROCESSES.stop("redis")


def worker_commands() -> dict[str, list[str]]:
    """The workers as docker-compose.yml runs them: one for the sweeps and periodic jobs, one
    with many threads for the messages."""
    celery = [str(BIN / "celery"), "-A", "governance", "worker", "--loglevel=WARNING"]
    return {
        # compose's sweeps, worker and rollups in one here: two cores for the whole drill.
        "worker-sweeps": [
            *celery, "-Q", "sweep,celery,rollups", "-n", "sweeps@%h", "--concurrency=2",
        ],
        "worker-deliveries": [
            *celery, "-Q", "deliveries", "-n", "deliveries@%h", "--pool=threads",
            "--concurrency=16",
        ],
    }  # fmt: skip


def start_app() -> None:
    PROCESSES.start(
        "web",
        [str(BIN / "gunicorn"), "governance.wsgi:application", "--bind",
         f"127.0.0.1:{ARGS.web_port}", "--workers", "4", "--timeout", "120"],
    )  # fmt: skip
    for name, command in worker_commands().items():
        PROCESSES.start(name, command)
    PROCESSES.start(
        "beat",
        [str(BIN / "celery"), "-A", "governance", "beat", "--loglevel=WARNING",
         f"--schedule={LOGS / 'celerybeat-schedule'}"],
    )  # fmt: skip

    def healthy() -> bool:
        try:
            return Client().get("/healthz")[0] in (200, 503)
        except OSError:
            return False

    wait_until(healthy, "gunicorn to answer /healthz", 60)


def wait_for_progress(count, target: int, what: str, stall: float = 120) -> None:
    """Until ``count()`` reaches ``target``; gives up only when it stops moving."""
    last, still = -1, time.monotonic()
    while (now := count()) < target:
        if now != last:
            last, still = now, time.monotonic()
        elif time.monotonic() - still > stall:
            sys.exit(f"gave up waiting for {what}: stuck at {now} for {stall:.0f} s")
        time.sleep(1)


# --- HTTP, as a browser ----------------------------------------------------------------------


class Client(stack.Client):
    """A browser of the drill's gunicorn."""

    def __init__(self, forwarded_for: str = "") -> None:
        super().__init__(ARGS.web_port, forwarded_for)


# --- 1. Redis stopped under load -------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(
            collections.Counter
        )
        self.saved: dict[str, list[str]] = collections.defaultdict(list)
        self.phase = "before"

    def add(self, kind: str, status: int | str) -> None:
        with self.lock:
            self.counts[(kind, self.phase)][str(status)] += 1


def demo_targets() -> dict:
    from grids.models import Area, Household, Post

    post = Post.objects.select_related("area").get(user__username="worker", ended_on__isnull=True)
    grid = post.area
    households = list(
        Household.objects.filter(grid=grid).order_by("pk").values_list("pk", flat=True)[:200]
    )
    grids = list(Area.objects.filter(level="grid").order_by("path").values_list("code", flat=True))
    return {"grid": grid.code, "households": households, "grids": grids[:20]}


def resident(tally: Tally, stop: threading.Event, number: int, grids: list[str]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        browser = Client(forwarded_for=f"10.{number}.{n // 250}.{n % 250 + 1}")
        code = grids[(number + n) % len(grids)]
        marker = f"drill-{number}-{n}-{uuid.uuid4().hex[:8]}"
        try:
            status, _, page = browser.get(f"/r/{code}/")
            if status != 200:
                tally.add("resident", status)
                continue
            matter = re.search(r'<option value="(\d+)"', page)
            status, headers, _ = browser.post(
                f"/r/{code}/",
                {
                    "matter": matter.group(1) if matter else "",
                    "description": f"楼道堆物，消防通道被堵 {marker}",
                    "address": "演练小区1幢",
                    "reporter_name": "演练",
                    # A resident of their own: the limit per phone is 5 a day.
                    "reporter_phone": f"139{number:02d}{n:06d}",
                    "website": "",
                },
            )
        except OSError as error:
            tally.add("resident", type(error).__name__)
            continue
        tally.add("resident", status)
        if status == 302 and "/t/" in headers.get("Location", ""):
            with tally.lock:
                tally.saved["resident"].append(marker)


def grid_worker(tally: Tally, stop: threading.Event, households: list[int]) -> None:
    browser = Client(forwarded_for="10.200.0.1")
    assert browser.login("worker") == 302, "the grid worker could not sign in"
    browser.get("/visits/")
    n = 0
    while not stop.is_set():
        n += 1
        client_id = str(uuid.uuid4())
        try:
            status, _, _ = browser.post(
                "/visits/submit/",
                {
                    "client_id": client_id,
                    "household": households[n % len(households)],
                    "kind": "routine",
                    "findings": "演练走访，一切正常",
                    "tags": "all_well",
                },
                headers={"Accept": "application/json"},
            )
        except OSError as error:
            tally.add("visit", type(error).__name__)
            continue
        tally.add("visit", status)
        if status == 201:
            with tally.lock:
                tally.saved["visit"].append(client_id)
        time.sleep(0.2)  # a person between two households, not a loop


def officer(tally: Tally, stop: threading.Event, number: int) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        browser = Client(forwarded_for=f"10.201.0.{number}")
        try:
            status = browser.login("community")
            tally.add("sign-in", status)
            if status != 302:
                continue
            for path in ("/tickets/", "/tickets/mine/", "/tickets/?page=2", "/visits/"):
                tally.add("page", browser.get(path)[0])
        except OSError as error:
            tally.add("page", type(error).__name__)


def sent(ids: list[int]) -> int:
    from notifications.models import Delivery

    return Delivery.objects.filter(pk__in=ids, state=Delivery.State.SENT).count()


def drill_messages_at_sink(ids: list[int]) -> int:
    from notifications.models import Delivery

    keys = set(Delivery.objects.filter(pk__in=ids).values_list("idempotency_key", flat=True))
    with Sink.lock:
        return sum(count for key, count in Sink.by_key.items() if key in keys)


def drill_redis(targets: dict) -> None:
    print(f"\n## 1. Redis stopped for {ARGS.outage:.0f} s under load")
    tally = Tally()
    stop = threading.Event()
    threads = [
        threading.Thread(target=resident, args=(tally, stop, i + 1, targets["grids"]))
        for i in range(ARGS.residents)
    ]
    threads.append(threading.Thread(target=grid_worker, args=(tally, stop, targets["households"])))
    threads += [threading.Thread(target=officer, args=(tally, stop, i + 1)) for i in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(ARGS.around)
    tally.phase = "during"
    redis_stop()
    outage_began = time.monotonic()
    # What the sweep would send meanwhile: rows written, the enqueue on commit refused.
    from django.db import transaction

    from notifications import delivery

    with transaction.atomic():
        written = robot_deliveries(200)
        delivery.send_after_commit(written)
    connections.close_all()
    time.sleep(max(0.0, ARGS.outage - (time.monotonic() - outage_began)))
    out_during_outage = drill_messages_at_sink(written)
    redis_start()
    back_after = time.monotonic() - outage_began
    tally.phase = "after"
    time.sleep(ARGS.around)
    stop.set()
    for thread in threads:
        thread.join()
    print(f"Redis was away {back_after:.0f} s. Answers (HTTP status: count):")
    for (kind, phase), counts in sorted(tally.counts.items()):
        line = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
        print(f"  {kind:9} {phase:6}  {line}")
    errors = sum(
        count
        for counts in tally.counts.values()
        for status, count in counts.items()
        if not status.isdigit() or int(status) >= 500
    )
    print(f"  5xx or broken connections: {errors}")
    from tickets.models import Ticket
    from visits.models import Visit

    markers = tally.saved["resident"]
    found = sum(Ticket.objects.filter(description__endswith=marker).exists() for marker in markers)
    visits = Visit.objects.filter(client_id__in=tally.saved["visit"]).count()
    print(
        f"  requests the resident was told were saved: {len(markers)}, lost: {len(markers) - found}"
    )
    print(f"  visits the worker was told were saved: {len(tally.saved['visit'])}, "
          f"lost: {len(tally.saved['visit']) - visits}")  # fmt: skip
    print(f"  robot messages written during the outage: {len(written)}, "
          f"at the sink while Redis was away: {out_during_outage}")  # fmt: skip
    began = time.monotonic()
    wait_for_progress(lambda: sent(written), len(written), "the outage's messages to go out")
    switch_robots_off()
    print(f"  all sent within {time.monotonic() - began + ARGS.around:.0f} s of Redis's return "
          f"(the periodic delivery job runs every minute): {sent(written)} sent, "
          f"{drill_messages_at_sink(written)} at the sink")  # fmt: skip


# --- 2. A sweep with a person's action in the middle -----------------------------------------


ALERT = re.compile(r'<div class="alert alert-(\w+)" role="status">([^<]*)</div>')


def drill_sweep() -> None:
    from accounts.models import User
    from bench.sweep_deadlines import fill, territory
    from bench.sweep_user_latency import make_overdue
    from tickets.models import Status, Ticket

    print(f"\n## 2. A sweep of {ARGS.due:,} overdue requests, the dispatcher accepting meanwhile")
    grid = territory()
    dispatcher = User.objects.get(username="bench_dispatcher")
    dispatcher.set_password(PASSWORD)
    dispatcher.save()
    fill(grid, ARGS.due)
    make_overdue(ARGS.due)
    connections.close_all()
    browser = Client(forwarded_for="10.202.0.1")
    assert browser.login("bench_dispatcher") == 302, "the dispatcher could not sign in"
    from governance.celery import app

    # Beat sends the sweep every minute, as in production; one is sent now so that the drill
    # starts at a known moment. Each run escalates what its time budget allows.
    began = time.monotonic()
    app.send_task("tickets.tasks.sweep_deadlines")
    waits, answers = [], collections.Counter()

    def due() -> int:
        return Ticket.objects.filter(
            status=Status.SUBMITTED, next_check_at__lte=timezone.now(), area=grid
        ).count()

    while time.monotonic() - began < 1800:
        time.sleep(0.5)  # a person reads the board between two requests
        left = due()
        if left == 0:
            break
        waiting = Ticket.objects.filter(status=Status.SUBMITTED, area__path__startswith=grid.path)
        # About a second ahead of the sweep (60 a second here): the rows it is about to lock.
        target = waiting.order_by("next_check_at", "id")[60:61].first()
        if target is None:
            break
        status, _, page = browser.get(f"/tickets/{target.short_code}/")
        if f"/tickets/{target.short_code}/accept/" not in page:
            # The sweep moved it between the list and the page: no Accept button to press.
            answers["no Accept button on the page (already moved)"] += 1
            continue
        version = re.search(r'name="version" value="(\d+)"', page)
        started = time.perf_counter()
        status, headers, _ = browser.post(
            f"/tickets/{target.short_code}/accept/", {"version": version.group(1)}
        )
        waits.append((time.perf_counter() - started) * 1000)
        if status == 302:
            # What the person is told is the message on the page the browser lands on.
            landing = browser.get(headers.get("Location", "/"))[2]
            found = ALERT.search(landing)
            told = f"{found.group(1)}: {found.group(2).strip()}" if found else "no message"
            answers[f"302, {told}"[:100]] += 1
        else:
            answers[str(status)] += 1
    took = time.monotonic() - began
    print(f"  sweep done in {took:.0f} s ({ARGS.due - due():,} escalated or answered)")
    if waits:
        waits.sort()
        p95 = waits[max(0, int(len(waits) * 0.95) - 1)]
        print(f"  {len(waits)} accepts: median {statistics.median(waits):.0f} ms, p95 {p95:.0f} ms,"
              f" worst {waits[-1]:.0f} ms")  # fmt: skip
    for answer, count in answers.most_common():
        print(f"    {count:4} × {answer}")


# --- 3. A worker killed during deliveries ----------------------------------------------------

# Not yet sent nor given up: a row in any of these states may still go out.
UNSETTLED = ["pending", "held", "sending"]


class Sink(BaseHTTPRequestHandler):
    """A group robot that takes everything; counts each delivery by the idempotency key the
    channel sends along (a real robot ignores it), so that a second copy shows."""

    by_key: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = self.headers.get("X-Idempotency-Key") or body.decode("utf-8", "replace")
        with Sink.lock:
            Sink.by_key[key] += 1
        time.sleep(ARGS.sink_delay)  # a robot on the internet; a kill can land meanwhile
        answer_as_a_robot(self)

    def log_message(self, *args) -> None:
        pass


def robot_deliveries(count: int) -> list[int]:
    """``count`` notifications about distinct requests to one WeCom robot of the bench grid,
    each with its delivery, as the sweep writes them (one text per request)."""
    from django.contrib.contenttypes.models import ContentType

    from bench.sweep_deadlines import fill, territory
    from notifications.models import Delivery, NoticeChannel, Notification, WebhookTarget
    from tickets.models import Ticket

    grid = territory()
    if Ticket.objects.filter(area=grid).count() < count:
        fill(grid, count, empty=False)  # the demo's requests stay
    robot = WebhookTarget.objects.create(
        area=grid, channel=NoticeChannel.WECOM, url=f"http://127.0.0.1:{ARGS.sink_port}/robot"
    )
    # Requests no earlier drill wrote to: one message per request and kind.
    used = Notification.objects.filter(webhook__area=grid).values("subject_id")
    tickets = list(Ticket.objects.filter(area=grid).exclude(pk__in=used).order_by("pk")[:count])
    drill = uuid.uuid4().hex[:8]
    ticket_type = ContentType.objects.get_for_model(Ticket)
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                webhook=robot,
                kind="reminder",
                subject_type=ticket_type,
                subject_id=ticket.pk,
                key=f"drill-{drill}-{ticket.pk}",
                urgent=True,  # not held for quiet hours, whenever the drill runs
            )
            for ticket in tickets
        ]
    )
    rows = Delivery.objects.bulk_create(
        [
            Delivery(
                notification=note, channel=NoticeChannel.WECOM, idempotency_key=f"{note.key}-w"
            )
            for note in notifications
        ]
    )
    return [row.pk for row in rows]


def drill_deliveries() -> None:
    from django.db import transaction

    from notifications import delivery
    from notifications.models import Delivery

    print(f"\n## 3. A delivery worker killed (SIGKILL) during {ARGS.deliveries:,} robot messages")
    workers = [name for name in PROCESSES.running if name.startswith("worker")]
    name = next((n for n in workers if "deliver" in n), workers[0])
    command = worker_commands()[name]
    PROCESSES.stop(name)
    with transaction.atomic():
        ids = robot_deliveries(ARGS.deliveries)
        delivery.send_after_commit(ids)
    connections.close_all()
    began = time.monotonic()
    PROCESSES.start(name, command)
    wait_for_progress(lambda: sent(ids), len(ids) // 3, "a third of them sent")
    before_kill = time.monotonic() - began
    PROCESSES.stop(name, signal.SIGKILL)
    killed_at = drill_messages_at_sink(ids)
    rate = sent(ids) / before_kill
    PROCESSES.start(name, command)
    # A delivery the kill interrupted waits out its lease before anyone may touch it again.
    patience = delivery.LEASE.total_seconds() + 120
    last, still = -1, time.monotonic()
    while time.monotonic() - still < patience:
        unsettled = Delivery.objects.filter(pk__in=ids, state__in=UNSETTLED).count()
        if not unsettled:
            break
        if unsettled != last:
            last, still = unsettled, time.monotonic()
        time.sleep(2)
    took = time.monotonic() - began
    states = collections.Counter(
        Delivery.objects.filter(pk__in=ids).values_list("state", flat=True)
    )
    keys = set(Delivery.objects.filter(pk__in=ids).values_list("idempotency_key", flat=True))
    with Sink.lock:
        counts = [count for key, count in Sink.by_key.items() if key in keys]
    print(f"  one worker: {rate:.1f} deliveries/s (robot answering in {ARGS.sink_delay} s); "
          f"killed at {killed_at:,} at the sink; all settled in {took:.0f} s")  # fmt: skip
    print(f"  at the sink: {sum(counts):,} messages for {len(counts):,} deliveries, "
          f"{sum(c - 1 for c in counts if c > 1)} duplicates")  # fmt: skip
    print(f"  deliveries by state: {dict(states)}")
    switch_robots_off()


def switch_robots_off() -> None:
    """A drill's robot hears no more of the bench grid (the next drill's escalations would
    queue messages for it ahead of that drill's own)."""
    from notifications.models import WebhookTarget

    WebhookTarget.objects.filter(url__startswith=f"http://127.0.0.1:{ARGS.sink_port}/").update(
        active=False
    )


# --- Run -------------------------------------------------------------------------------------


def prepare() -> None:
    from django.core.management import call_command

    from bench.sweep_deadlines import fill, territory
    from tickets.models import Ticket

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    # The requests drill 1's robot messages are about, written before any load (an INSERT of
    # thousands of rows is no resident's doing).
    switch_robots_off()
    grid = territory()
    if Ticket.objects.filter(area=grid).count() < 1000:
        fill(grid, 1000, empty=False)
    connections.close_all()


def main() -> None:
    drills = ARGS.only or ["redis", "sweep", "deliveries"]
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed")
    # A kill of the drill stops what it started, too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.sink_port), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        redis_start()
        prepare()
        start_app()
        print(f"gunicorn ×4, Celery {', '.join(worker_commands())} and beat; logs in {LOGS}")
        if "redis" in drills:
            drill_redis(demo_targets())
        if "sweep" in drills:
            drill_sweep()
        if "deliveries" in drills:
            drill_deliveries()
    finally:
        PROCESSES.stop_all()
        server.shutdown()


if __name__ == "__main__":
    main()
