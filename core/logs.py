"""Log lines an operator can search: one JSON object a line (``LOG_FORMAT=json``), each with
the id of the request it belongs to, in the web process and in the Celery tasks the request
enqueued (core/observe.py carries the id across in the message headers).

Kept free of Django imports: gunicorn's master reads it before Django is set up.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid

# The id of the request (or of the request that enqueued the task) this code runs for.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# A client's or proxy's X-Request-ID is kept only when it cannot break a log line or a header,
# nor fill the logs: letters, digits and a few separators, at most 64 characters.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")

# What a record may carry besides the message (``extra={...}``), under the same names in the
# JSON; nothing else a caller puts on a record leaks into the line.
FIELDS = (
    "method",
    "path",
    "view",
    "status",
    "duration_ms",
    "user_id",
    "task",
    "task_id",
    "queue",
    "state",
)


def sane(value: str | None) -> str | None:
    return value if value and _SANE.fullmatch(value) else None


def new_id() -> str:
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """On a handler: every record it writes, from any logger, gets ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # ensure_ascii off: Chinese messages stay readable; default=str for lazy strings.
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """The plain format with the request id, when there is one, after the level."""

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.request_tag = f" [{rid}]" if rid else ""
        return super().format(record)


def carrying_request_id(function):
    """``function`` run later (``transaction.on_commit``) under the request id current now:
    a commit at the end of an outer transaction may come after the request's own code."""
    rid = request_id.get()

    def run(*args, **kwargs):
        token = request_id.set(rid)
        try:
            return function(*args, **kwargs)
        finally:
            request_id.reset(token)

    return run
