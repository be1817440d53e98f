"""Every few minutes: the hazards past their fix-by date escalate (safety/sweep.py)."""

from celery import shared_task

from safety.sweep import sweep


@shared_task
def sweep_hazards() -> int:
    return sweep()
