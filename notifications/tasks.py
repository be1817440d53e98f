"""Thin Celery tasks: they take ids (or nothing), and the functions they call re-check the
database, so a retried or duplicated task changes nothing. Each periodic one is in
governance/celery.py and has a management command of the same name.

Importing notifications.delivery here also registers its ``deliver_task`` with the worker,
which finds this module by autodiscovery.
"""

from celery import shared_task

from notifications import delivery


@shared_task(ignore_result=True)
def send_due_deliveries() -> None:
    """Re-enqueue deliveries that are due: held for quiet hours, backing off, or never
    enqueued because the broker was down when they were written."""
    delivery.send_due()
