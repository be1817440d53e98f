"""Enqueue Celery work after the transaction commits, without letting a broker outage
fail the user's request: every such task has a periodic job that catches up."""

import logging

from django.db import transaction

from core.logs import carrying_request_id

logger = logging.getLogger(__name__)


def depth(queue: str) -> int | None:
    """Messages waiting in a Celery queue, or None when the broker does not answer."""
    from governance.celery import app

    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            # Not passive: an empty Redis queue has no key, and a passive declare says 404.
            return conn.default_channel.queue_declare(queue=queue, durable=True).message_count
    except Exception:  # kombu raises many kinds; /healthz reports the broker itself
        logger.warning("could not read the length of queue %s", queue, exc_info=True)
        return None


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

    transaction.on_commit(carrying_request_id(send))
