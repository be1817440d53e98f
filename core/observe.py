"""Seeing what runs: the request id, the per-request metrics and log line, and the same for
Celery tasks.

A request keeps the X-Request-ID it came with when that is sane (core.logs.sane), else gets a
new one; the response carries it back, and every log line written for the request has it.
A task enqueued during the request carries it in its message headers (``before_task_publish``)
and the worker runs the task under it (``task_prerun``), so one id finds a request and the
work it set off.
"""

from __future__ import annotations

import contextvars
import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass

from celery import signals
from django.core.signals import got_request_exception, request_finished
from django.db import connections
from django.utils.functional import empty

from core import logs, metrics

logger = logging.getLogger("grid.request")
task_logger = logging.getLogger("grid.task")

HEADER = "X-Request-ID"
# Message headers a task carries (before_task_publish): the id, and when it was published.
ID_HEADER = "grid_request_id"
PUBLISHED_HEADER = "grid_published_at"


@dataclass
class _Spent:
    """Time one request spent waiting on the database and the cache."""

    db: float = 0.0
    queries: int = 0
    cache: float = 0.0


_spent: contextvars.ContextVar[_Spent | None] = contextvars.ContextVar("spent", default=None)


def add_cache_time(seconds: float) -> None:
    """Called by core.cache around each Redis operation."""
    spent = _spent.get()
    if spent is not None:
        spent.cache += seconds


def _view(request) -> str:
    match = getattr(request, "resolver_match", None)
    # No match (a 404 at the resolver, a middleware answering first): one series for all.
    return match.view_name if match and match.view_name else "<unresolved>"


class RequestIdMiddleware:
    """First in MIDDLEWARE: every response, even one a later middleware makes, has the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = logs.sane(request.headers.get(HEADER)) or logs.new_id()
        request.request_id = rid
        # Not reset on the way out: Django logs a 4xx/5xx ("Not Found: …") after the
        # middleware returned. It is cleared once the response is sent (request_finished).
        logs.request_id.set(rid)
        response = self.get_response(request)
        response[HEADER] = rid
        return response


def _finished(**kwargs) -> None:
    logs.request_id.set(None)


class RequestMetricsMiddleware:
    """Latency by view, errors, database and cache time, and one log line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        spent = _Spent()
        token = _spent.set(spent)

        def timed(execute, sql, params, many, context):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent.db += time.perf_counter() - start
                spent.queries += 1

        start = time.perf_counter()
        try:
            with ExitStack() as stack:
                for connection in connections.all():
                    stack.enter_context(connection.execute_wrapper(timed))
                response = self.get_response(request)
        finally:
            _spent.reset(token)
        seconds = time.perf_counter() - start
        view = _view(request)
        status = response.status_code
        metrics.REQUEST_SECONDS.labels(view, request.method, f"{status // 100}xx").observe(seconds)
        metrics.REQUEST_DB_SECONDS.labels(view).observe(spent.db)
        metrics.REQUEST_DB_QUERIES.labels(view).observe(spent.queries)
        metrics.REQUEST_CACHE_SECONDS.labels(view).observe(spent.cache)
        if status >= 500:
            cause = "exception" if getattr(request, "_grid_raised", False) else "response"
            metrics.REQUEST_ERRORS.labels(view, cause).inc()
        user = getattr(request, "user", None)
        # Only a user the request already loaded (a probe must not read a session for the log
        # line), and only the id: a log line never carries a name or phone number.
        if getattr(user, "_wrapped", user) is empty:
            user = None
        user_id = user.pk if user is not None and user.is_authenticated else None
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "method": request.method,
                "path": request.path,
                "view": view,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": user_id,
            },
        )
        return response


def _raised(sender, request=None, **kwargs) -> None:
    # Django turns the exception into a 500 inside the middleware chain; mark the request so
    # the error is counted as a view's exception, not a deliberate 5xx.
    if request is not None:
        request._grid_raised = True


got_request_exception.connect(_raised, dispatch_uid="core.observe.raised")
request_finished.connect(_finished, dispatch_uid="core.observe.finished")


# --- Celery --------------------------------------------------------------------------------


def _queue(task) -> str:
    from django.conf import settings

    delivery = getattr(task.request, "delivery_info", None) or {}
    queue = delivery.get("routing_key")
    if queue:
        return queue
    # Eager runs have no delivery: the queue the routes would have sent it to.
    route = task.app.amqp.router.route({}, task.name)
    queue = route.get("queue")
    return getattr(queue, "name", None) or queue or settings.CELERY_TASK_DEFAULT_QUEUE


@signals.before_task_publish.connect(dispatch_uid="core.observe.publish")
def _publish(headers=None, **kwargs) -> None:
    if headers is None:
        return
    rid = logs.request_id.get()
    if rid:
        headers[ID_HEADER] = rid
    headers[PUBLISHED_HEADER] = time.time()


# task id → (the context token to restore, when it started)
_running: dict[str, tuple[contextvars.Token | None, float]] = {}


def _header(task, name: str):
    value = getattr(task.request, name, None)
    if value is None:
        value = (getattr(task.request, "headers", None) or {}).get(name)
    return value


@signals.task_prerun.connect(dispatch_uid="core.observe.prerun")
def _prerun(task_id=None, task=None, **kwargs) -> None:
    rid = logs.sane(_header(task, ID_HEADER))
    # An eager task runs inside its caller: without headers it keeps the caller's id.
    token = logs.request_id.set(rid) if rid or not task.request.is_eager else None
    now = time.time()
    _running[task_id] = (token, time.perf_counter())
    queue = _queue(task)
    published = _header(task, PUBLISHED_HEADER)
    if isinstance(published, int | float):
        metrics.TASK_WAIT_SECONDS.labels(task.name, queue).observe(max(0.0, now - published))
    task_logger.info(
        "task %s started", task.name, extra={"task": task.name, "task_id": task_id, "queue": queue}
    )


@signals.task_postrun.connect(dispatch_uid="core.observe.postrun")
def _postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    token, started = _running.pop(task_id, (None, None))
    queue = _queue(task)
    if started is not None:
        seconds = time.perf_counter() - started
        metrics.TASK_RUN_SECONDS.labels(task.name, queue, state or "UNKNOWN").observe(seconds)
        task_logger.info(
            "task %s %s",
            task.name,
            state,
            extra={
                "task": task.name,
                "task_id": task_id,
                "queue": queue,
                "state": state,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
    if token is not None:
        try:
            logs.request_id.reset(token)
        except ValueError:  # set in another context (cannot happen in a worker's thread)
            logs.request_id.set(None)


@signals.task_failure.connect(dispatch_uid="core.observe.failure")
def _failure(sender=None, **kwargs) -> None:
    if sender is not None:
        metrics.TASK_FAILURES.labels(sender.name, _queue(sender)).inc()


@signals.worker_process_shutdown.connect(dispatch_uid="core.observe.process_shutdown")
def _process_shutdown(pid=None, **kwargs) -> None:
    # As gunicorn's child_exit (gunicorn.conf.py): a dead pool process's live gauges go.
    if metrics.multiprocess_dir():
        import os

        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(metrics.process_id(pid or os.getpid()))
