"""Thin Celery tasks: they take ids (or nothing), and the functions they call re-check the
database, so a retried or duplicated task changes nothing. Each periodic one is in
governance/celery.py and has a management command of the same name."""

from celery import shared_task


@shared_task(ignore_result=True)
def sweep_deadlines() -> None:
    """Reminders, overdue notices, escalations, unclaimed wishes and auto-closing."""
    from tickets import sweep

    sweep.sweep()


@shared_task(ignore_result=True)
def send_digests() -> None:
    """The daily digest, once the configured hour has come (idempotent per day and person)."""
    from tickets import digest

    digest.send_digests()


@shared_task(ignore_result=True)
def process_photo(photo_id: int) -> None:
    """Re-encode one photo a resident sent (idempotent: a processed photo is left alone)."""
    from tickets import photos

    photos.process(photo_id)


@shared_task(ignore_result=True)
def process_waiting_photos() -> None:
    """Photos whose task was never sent or never finished (a broker or worker down)."""
    from tickets import photos

    photos.process_waiting()
