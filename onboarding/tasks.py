"""Imports run on the ``imports`` queue (their watchdog, ``resume_imports``, on the default one):
thin tasks that take an id and re-check its state."""

from celery import shared_task

from onboarding import engine


@shared_task(acks_late=True)
def check_import(run_id: int) -> None:
    engine.check(run_id)


@shared_task(acks_late=True)
def write_import(run_id: int) -> None:
    engine.write(run_id)


@shared_task
def resume_imports() -> dict[str, int]:
    """Queue again what lost its message; mark what lost its worker (engine.stalled)."""
    to_check, to_write = engine.stalled()
    for run_id in to_check:
        check_import.apply_async(args=[run_id], retry=False)
    for run_id in to_write:
        write_import.apply_async(args=[run_id], retry=False)
    return {"checks": len(to_check), "writes": len(to_write)}
