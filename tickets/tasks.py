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
def deliver(delivery_id: int) -> None:
    """Send one delivery; takes an id, re-checks its state, safe to run twice."""
    from tickets import delivery

    delivery.deliver(delivery_id)


@shared_task(ignore_result=True)
def send_due_deliveries() -> None:
    """Re-enqueue deliveries that are due: held for quiet hours, backing off, or never
    enqueued because the broker was down when they were written."""
    from tickets import delivery

    delivery.send_due()


@shared_task(ignore_result=True)
def send_digests() -> None:
    """The daily digest, once the configured hour has come (idempotent per day and person)."""
    from tickets import digest

    digest.send_digests()
