from celery import shared_task

from core.services import record_heartbeat


@shared_task(ignore_result=True)
def beat_tick() -> None:
    record_heartbeat()


@shared_task(ignore_result=True)
def apply_retention() -> None:
    """Nightly: remove or anonymise what has outlived its retention period (core.retention)."""
    from core import retention

    retention.apply()
