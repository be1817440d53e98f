"""What /healthz checks: the database, the cache, the broker (with the length of each
queue), the last beat tick, and whatever the apps above register (``register``: the
notifications app adds the deliveries' backlog).

Only the database makes a node unusable (503): without Redis (cache, broker) pages and
submissions still work, slower, and the periodic jobs catch up; a stale beat is no fault of
this node. Those answer 200 "degraded", so a load balancer does not pull every web node at
once for a fault they share; monitoring alerts on the status and the failing check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from core.models import Heartbeat
from core.queue import depth
from core.services import BEAT

# name → a check returning {"ok": bool, …}; filled by apps' AppConfig.ready (core cannot
# import the apps above it). Such a check can only make the status "degraded", never 503.
_registered: dict[str, Callable[[], dict[str, Any]]] = {}


def register(name: str, check: Callable[[], dict[str, Any]]) -> None:
    _registered[name] = check


def queues() -> list[str]:
    """The default queue and every queue a task is routed to."""
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} - {default}
    return [default, *sorted(routed)]


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the kind is enough for operators
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_cache() -> dict[str, Any]:
    from django_redis import get_redis_connection
    from django_redis.cache import RedisCache

    if not isinstance(caches["default"], RedisCache):
        return {"ok": True, "backend": "local"}

    try:
        get_redis_connection("default").ping()
    except Exception as exc:  # connection refused, timeout, auth: the name is what matters
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "backend": "redis"}


def check_broker() -> dict[str, Any]:
    from governance.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # kombu raises many kinds; the name is what matters here
        return {"ok": False, "error": type(exc).__name__}
    # Messages waiting per queue: the default one's lag shows as the beat tick's age.
    return {
        "ok": True,
        "transport": str(transport),
        "queues": {name: depth(name) for name in queues()},
    }


def check_beat() -> dict[str, Any]:
    try:
        at = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
    except Exception as exc:  # database down: reported by check_database
        return {"ok": False, "error": type(exc).__name__}
    if at is None:
        return {"ok": False, "last_tick": None}
    age = (timezone.now() - at).total_seconds()
    return {
        "ok": age <= settings.HEALTH_BEAT_MAX_AGE.total_seconds(),
        "last_tick": at.isoformat(),
        "age_seconds": round(age, 1),
    }


def health() -> tuple[int, dict[str, Any]]:
    """The HTTP status and the body: "ok", "degraded" (200) or "unusable" (503)."""
    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
        "beat": check_beat(),
    }
    for name, check in _registered.items():
        try:
            checks[name] = check()
        except Exception as exc:  # an app's check failing is its own fault, not this node's
            checks[name] = {"ok": False, "error": type(exc).__name__}
    if not checks["database"]["ok"]:
        status, code = "unusable", 503
    elif all(check["ok"] for check in checks.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    body: dict[str, Any] = {"status": status, "checks": checks}
    # Things for people to do (next year's calendar, say), which leave the node healthy.
    warnings = [check["warning"] for check in checks.values() if check.get("warning")]
    if warnings:
        body["warnings"] = warnings
    return code, body


# Set once the migrations were found applied: they do not come undone under a running process
# (a deploy that adds some starts new processes), and reading them costs more than a probe.
_migrated = False


def check_migrations() -> dict[str, Any]:
    global _migrated
    if _migrated:
        return {"ok": True}
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # the database went away between the checks
        return {"ok": False, "error": type(exc).__name__}
    if plan:
        return {"ok": False, "unapplied": len(plan)}
    _migrated = True
    return {"ok": True}


def readiness() -> tuple[int, dict[str, Any]]:
    """/readyz: may this node take traffic? The database answers and is migrated (503
    otherwise). Redis is reported but never makes it 503: without it pages work from the
    database, slower, and every node shares the outage (see above)."""
    checks = {"database": check_database()}
    if checks["database"]["ok"]:
        checks["migrations"] = check_migrations()
    checks["cache"] = check_cache()
    ready = checks["database"]["ok"] and checks["migrations"]["ok"]
    body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
    if ready and not checks["cache"]["ok"]:
        body["degraded"] = "Redis does not answer: serving from the database, slower"
    return (200 if ready else 503), body
