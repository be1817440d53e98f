"""How fast one Celery worker drains a backlog of deliveries, and whether any goes twice.
Issue 18 measured 25,000 deliveries in 28 minutes (~15/s); the target is ≥ 20/s.

    createdb -h 127.0.0.1 -U postgres grid_bench_deliv
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench_deliv DEBUG=1 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench_deliv \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/deliveries.py [--count 5000] [--delay 0.02] \\
        [--worker "--concurrency=2"]

A threaded HTTP server in this script stands in for a WeCom group robot (answering
``errcode 0`` after ``--delay`` seconds, with HTTP/1.1 keep-alive as WeCom's does) and counts
the idempotency keys it receives. The script writes ``--count`` pending robot deliveries to
it, starts ONE worker on the "deliveries" queue with the pool and concurrency of
docker-compose.yml's ``deliveries`` service, enqueues them with ``send_due`` (what beat does)
and times the drain. The broker's database is emptied first: give it one of its own.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")

import django

from governance import devkeys

django.setup()

import redis  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.sweep_deadlines import territory  # noqa: E402
from notifications import delivery  # noqa: E402
from notifications.models import (  # noqa: E402
    Delivery,
    NoticeChannel,
    NoticeKind,
    Notification,
    WebhookTarget,
)

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "bench-deliveries:"


class Sink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float):
        self.delay = delay
        self.keys: Counter = Counter()
        self.connections = 0
        self.first = self.last = None
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), SinkHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/cgi-bin/webhook/send?key=bench"


class SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the robots' servers do
    # Headers and body go out as two writes: without this, Nagle waits for a delayed ACK.
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.keys[self.headers.get("X-Idempotency-Key", "")] += 1
            now = time.perf_counter()
            self.server.first = self.server.first or now
            self.server.last = now
        body = b'{"errcode": 0, "errmsg": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def compose_worker() -> list[str]:
    """The deliveries worker's pool and concurrency options, as docker-compose.yml has them."""
    text = (ROOT / "docker-compose.yml").read_text()
    block = text[text.index("\n  deliveries:") :].split("\n\n")[0]
    return re.findall(r'"(--(?:pool|concurrency)=[^"]+)"', block)


def write(count: int, url: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tickets_delivery WHERE idempotency_key LIKE %s", [PREFIX + "%"])
        cursor.execute("DELETE FROM tickets_notification WHERE key LIKE %s", [PREFIX + "%"])
    grid = territory()
    WebhookTarget.objects.filter(area=grid).delete()
    hook = WebhookTarget.objects.create(area=grid, channel=NoticeChannel.WECOM, url=url)
    now = timezone.now()
    notifications = Notification.objects.bulk_create(
        (
            Notification(
                key=f"{PREFIX}{i}",
                webhook=hook,
                kind=NoticeKind.REMINDER,
                level=50,
                params={"code": f"B{i:07d}", "due": now.isoformat(), "stage": "response"},
                created_at=now,
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    Delivery.objects.bulk_create(
        (
            Delivery(
                notification=n,
                channel=NoticeChannel.WECOM,
                next_attempt_at=now,
                idempotency_key=f"{n.key}:wecom",
            )
            for n in notifications
        ),
        batch_size=2000,
    )


def queries_per_delivery(sink: Sink) -> int:
    """One delivery sent in this process, its queries counted (then put back to pending)."""
    pk = Delivery.objects.filter(idempotency_key__startswith=PREFIX).values_list("pk", flat=True)[0]
    with CaptureQueriesContext(connection) as ctx:
        delivery.deliver(pk)
    Delivery.objects.filter(pk=pk).update(
        state=Delivery.State.PENDING, attempts=0, sent_at=None, next_attempt_at=timezone.now()
    )
    sink.keys.clear()
    sink.first = sink.last = None
    return len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--delay", type=float, default=0.02, help="the robot's answer, seconds")
    parser.add_argument(
        "--worker", help='worker options instead of compose\'s, e.g. "--concurrency=2"'
    )
    args = parser.parse_args()
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        os.environ.pop(proxy, None)  # the sink is local
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (DATABASE_URL=postgres://…).")
    broker = os.environ["CELERY_BROKER_URL"]
    if not broker.startswith("redis"):
        sys.exit("Give the broker a Redis database of its own (CELERY_BROKER_URL=redis://…/12).")
    redis.Redis.from_url(broker).flushdb()

    sink = Sink(args.delay)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    write(args.count, sink.url)
    queries = queries_per_delivery(sink)
    sink.connections = 0

    options = args.worker.split() if args.worker is not None else compose_worker()
    env = {
        **os.environ,
        "DEBUG": "false",  # as in production: no query log kept per request
        "SECRET_KEY": "bench-" + "x" * 50,
        **devkeys.environ(),
        "ALLOWED_HOSTS": "localhost",
        "QUIET_HOURS_START": "0",
        "QUIET_HOURS_END": "0",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "governance", "worker"),
            *("-Q", "deliveries", "-n", "bench-deliveries@%h", "--without-gossip"),
            *("--without-mingle", "--without-heartbeat", "--loglevel=WARNING", *options),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(3)  # let the pool start; the clock starts at the first message received
        started = time.perf_counter()
        enqueued = delivery.send_due(limit=args.count)
        enqueue_s = time.perf_counter() - started
        deadline = time.monotonic() + max(600, args.count)
        rows = Delivery.objects.filter(idempotency_key__startswith=PREFIX)
        while rows.exclude(state=Delivery.State.SENT).exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                sys.exit("the worker did not finish")
            time.sleep(0.2)
        finished = time.perf_counter()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)

    drain = (sink.last or finished) - (sink.first or started)
    total = finished - started
    duplicates = sum(n - 1 for n in sink.keys.values())
    missing = args.count - len(sink.keys)
    print(
        f"{args.count:,} robot deliveries, robot answering in {args.delay * 1000:.0f} ms, "
        f"one worker {' '.join(options) or '(defaults)'}"
    )
    print(f"enqueued by send_due: {enqueued:,} in {enqueue_s:.1f} s")
    print(
        f"drained in {total:.1f} s: {args.count / total:.1f} deliveries/s "
        f"(first to last robot call {drain:.1f} s: {args.count / max(drain, 1e-9):.1f}/s)"
    )
    print(
        f"queries per delivery: {queries}; robot connections opened: {sink.connections:,}; "
        f"sent twice: {duplicates}; missing: {missing}"
    )


if __name__ == "__main__":
    main()
