"""Prometheus metrics (the official client): what each process measures, and what /metrics
reads from the database and the broker when it is scraped.

Gunicorn and Celery run several processes; with ``PROMETHEUS_MULTIPROC_DIR`` set (before any
process starts, emptied at start) each writes its counters and histograms to files there and
a scrape sums them over the processes (prometheus_client's multiprocess mode). Without it each
process has its own registry, which is right for one process (``make run``'s web server).

Figures read at scrape time (queue depth, sweep lag, deliveries, imports) come from collectors
that the apps register (``register``; core cannot import the apps above it). Each makes a
small fixed number of queries; one that fails is reported in ``grid_scrape_errors`` and the
others still are, so a Redis outage shows in the figures instead of emptying the scrape.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_id(pid: int) -> str:
    """A process's name in the directory's file names (gunicorn.conf.py's child_exit)."""
    # Containers sharing the directory (web and workers, docker-compose.yml) each number
    # their processes from 1: the host name keeps their files apart. No "_": the client
    # splits file names on it.
    return f"{socket.gethostname().replace('_', '-')}-{pid}"


if multiprocess_dir():
    # A command run where the directory was not made (a one-off shell) must not fail on it.
    os.makedirs(multiprocess_dir(), exist_ok=True)
    # Before any metric below is made: each takes the value class in force then.
    values.ValueClass = values.MultiProcessValue(lambda: process_id(os.getpid()))

# Pages answer in milliseconds to a few seconds; the sweep and imports run for minutes.
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PART_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)

# Labels are view names (resolver_match.view_name), never paths: a path carries ids and
# tokens, and every distinct value is a series of its own.
REQUEST_SECONDS = Histogram(
    "grid_http_request_duration_seconds",
    "Time to answer a request, by view, method and status class (2xx, 3xx, 4xx, 5xx).",
    ["view", "method", "status"],
    buckets=REQUEST_BUCKETS,
)
REQUEST_ERRORS = Counter(
    "grid_http_errors",
    "Requests answered with a 5xx status, by view; cause=exception when a view raised.",
    ["view", "cause"],
)
REQUEST_DB_SECONDS = Histogram(
    "grid_http_db_duration_seconds",
    "Time a request spent in database queries, by view.",
    ["view"],
    buckets=PART_BUCKETS,
)
REQUEST_DB_QUERIES = Histogram(
    "grid_http_db_queries",
    "Database queries a request made, by view.",
    ["view"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200),
)
REQUEST_CACHE_SECONDS = Histogram(
    "grid_http_cache_duration_seconds",
    "Time a request spent in cache (Redis) operations, by view.",
    ["view"],
    buckets=PART_BUCKETS,
)
TASK_WAIT_SECONDS = Histogram(
    "grid_celery_task_wait_seconds",
    "Time from a task's publication to a worker starting it, by task and queue.",
    ["task", "queue"],
    buckets=TASK_BUCKETS,
)
TASK_RUN_SECONDS = Histogram(
    "grid_celery_task_duration_seconds",
    "Time a worker spent running a task, by task, queue and outcome.",
    ["task", "queue", "state"],
    buckets=TASK_BUCKETS,
)
TASK_FAILURES = Counter(
    "grid_celery_task_failures",
    "Tasks that raised, by task and queue.",
    ["task", "queue"],
)

# name → a function returning metric families, read at each scrape (filled by AppConfig.ready).
_collectors: dict[str, Callable[[], Iterable[Metric]]] = {}


def register(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    _collectors[name] = collect


def process_registry() -> CollectorRegistry:
    """What the processes measured: every process's files in multiprocess mode, else this one's."""
    if multiprocess_dir() is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class _Scrape:
    """The processes' metrics followed by the collectors' figures, read now."""

    def collect(self) -> Iterable[Metric]:
        yield from process_registry().collect()
        errors = GaugeMetricFamily(
            "grid_scrape_errors",
            "1 when a figure could not be read at this scrape (the broker or database down).",
            labels=["collector"],
        )
        for name, collect in _collectors.items():
            try:
                # Listed first: a collector failing half-way reports none of its figures.
                families = list(collect())
            except Exception:  # Redis or the database away: report the others
                logger.warning("metrics collector %s failed", name, exc_info=True)
                errors.add_metric([name], 1)
                continue
            errors.add_metric([name], 0)
            yield from families
        yield errors


def scrape() -> bytes:
    """The text /metrics answers with."""
    return generate_latest(_Scrape())  # type: ignore[arg-type]  # only .collect() is used


def queue_depths() -> Iterable[Metric]:
    """Messages waiting per Celery queue, over one broker connection; raises when it is down
    (``depth`` would try again for each queue, and the scrape would wait for each)."""
    from core.health import queues
    from governance.celery import app

    family = GaugeMetricFamily(
        "grid_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
    )
    with app.connection_for_read() as conn:
        # One retry at once: kombu's default wait before it would hold the scrape 2 s.
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        channel = conn.default_channel
        for name in queues():
            # Not passive: an empty Redis queue has no key, and a passive declare says 404.
            count = channel.queue_declare(queue=name, durable=True).message_count
            family.add_metric([name], count)
    yield family
