"""A real Celery worker on real Redis runs the beat tick that /healthz reads."""

import datetime as dt
import os

import pytest

from core.models import CalendarDay, Heartbeat
from tests.waiting import STALL_SECONDS, wait_for_progress

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_app():
    from governance.celery import app
    from tests.broker import drop_pools

    previous = app.conf.broker_url
    # A worker started with queues= selects them on the app itself (Queues.select), for every
    # later worker of this process: put the selection back.
    consume_from = app.amqp.queues._consume_from
    app.conf.broker_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    drop_pools()
    yield app
    app.conf.broker_url = previous
    app.amqp.queues._consume_from = consume_from
    drop_pools()


def test_a_worker_on_redis_records_the_beat_tick_and_healthz_turns_green(redis_app, client):
    from celery.contrib.testing.worker import start_worker

    # Next year's holidays are in: from November their absence is a warning of its own.
    next_year = dt.date.today().year + 1
    CalendarDay.objects.create(date=dt.date(next_year, 1, 1), is_workday=False, note="元旦")
    before = client.get("/healthz")
    assert (before.status_code, before.json()["status"]) == (200, "degraded")
    from celery.worker import state as worker_state

    with start_worker(
        redis_app,
        pool="solo",
        perform_ping_check=False,
        shutdown_timeout=STALL_SECONDS,
        queues=["sweep"],  # where the tick is routed (settings.CELERY_TASK_ROUTES)
    ):
        result = redis_app.send_task("core.tasks.beat_tick")
        # The worker acknowledges late; wait on the database, which is the truth here, for
        # as long as the worker keeps taking and finishing tasks.
        wait_for_progress(
            lambda: (
                len(worker_state.active_requests),
                sum(worker_state.total_count.values()),
                Heartbeat.objects.filter(name="beat").exists(),
            ),
            lambda progress: progress[2],
            what="the worker to record the beat tick ((running, done, recorded))",
        )
        assert result.id
    assert Heartbeat.objects.filter(name="beat").exists()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok", response.json()
    assert response.json()["checks"]["broker"]["ok"] is True


def test_the_beat_schedule_holds_the_tick():
    from governance.celery import app

    entries = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "core.tasks.beat_tick" in entries
