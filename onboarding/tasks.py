"""Imports run on the ``imports`` queue: thin tasks that take an id and re-check its state."""

from celery import shared_task

from onboarding import engine


@shared_task(acks_late=True)
def check_import(run_id: int) -> None:
    engine.check(run_id)


@shared_task(acks_late=True)
def write_import(run_id: int) -> None:
    engine.write(run_id)
