"""Publishing to a real broker from the test process (the tests run Celery eagerly)."""

from __future__ import annotations

from contextlib import contextmanager


def drop_pools() -> None:
    """Forget the connection and producer pools: they stay bound to the broker URL they were
    made with, so a test that swaps ``broker_url`` and publishes would leave every later test
    in the process publishing to its (closed) broker."""
    from governance.celery import app

    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def publishing_to(url: str):
    """Make this process publish to ``url`` for real (not eagerly), then put it back.

    Celery keeps a connection pool and a producer pool bound to the URL they were made with;
    both are dropped so that the next publish connects to ``url`` (as after a fork).
    """
    from governance.celery import app

    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    drop_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        drop_pools()
