"""Enqueue Celery work after the transaction commits, without letting a broker outage
fail the user's request: every such task has a periodic job that catches up."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    def send() -> None:
        try:
            task.apply_async(args=args, retry=False)
        except Exception:  # any broker error: the request stands, the periodic job heals
            logger.warning(
                "could not enqueue %s%r; the periodic job will catch up",
                task.name,
                args,
                exc_info=True,
            )

    transaction.on_commit(send)
