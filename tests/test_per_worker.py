"""Each pytest-xdist worker's own Redis database and var/ folder (tests/per_worker.py)."""

import os

import pytest
from django.conf import settings

from tests.per_worker import redis_url_for, worker_number


def test_a_worker_takes_the_base_database_minus_its_number():
    assert redis_url_for("redis://127.0.0.1:6379/15", 0) == "redis://127.0.0.1:6379/15"
    assert redis_url_for("redis://127.0.0.1:6379/15", 1) == "redis://127.0.0.1:6379/14"
    assert (
        redis_url_for("rediss://:secret@cache.local:6380/8?ssl_cert_reqs=none", 3)
        == "rediss://:secret@cache.local:6380/5?ssl_cert_reqs=none"
    )


def test_too_low_a_base_is_refused_rather_than_shared():
    with pytest.raises(pytest.UsageError, match="use a higher one"):
        redis_url_for("redis://127.0.0.1:6379", 1)


def test_this_process_reads_its_own_redis_and_var():
    from tests import per_worker

    worker = worker_number()
    if worker is None:
        assert not per_worker.changed
        assert not settings.VAR_DIR.name.startswith("gw")
        return
    assert settings.VAR_DIR.name == f"gw{worker}"
    if "REDIS_URL" in per_worker.changed:
        base, own = per_worker.changed["REDIS_URL"]
        assert own == redis_url_for(base, worker)
        assert settings.CACHES["default"]["LOCATION"] == own
        broker = os.environ.get("CELERY_BROKER_URL") or own  # REDIS_URL unless set apart
        assert broker == settings.CELERY_BROKER_URL
