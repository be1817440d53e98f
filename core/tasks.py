from celery import shared_task

from core.services import record_heartbeat


@shared_task(ignore_result=True)
def beat_tick() -> None:
    record_heartbeat()
