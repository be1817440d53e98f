"""What /healthz checks: the database, the broker, and the last beat tick."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import Heartbeat
from core.services import BEAT


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the kind is enough for operators
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    from governance.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # kombu raises many kinds; the name is what matters here
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "transport": str(transport)}


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


def health() -> tuple[bool, dict[str, Any]]:
    checks = {"database": check_database(), "broker": check_broker(), "beat": check_beat()}
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "unhealthy", "checks": checks}
