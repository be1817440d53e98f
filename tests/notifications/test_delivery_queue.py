"""The deliveries' queue: each row enqueued once per lease, on a queue of its own, topped up
rather than flooded, and its backlog reported by /healthz and the operations page.

The queue tests publish to a real Redis database of their own (not eagerly) and count what
it holds; no worker consumes it, so what is there is exactly what was enqueued.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import zoneinfo
from urllib.parse import urlparse

import pytest
import redis
import time_machine
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from core.models import Heartbeat
from notifications import delivery
from notifications.models import Delivery, NoticeChannel, NoticeKind, Notification
from tests.broker import publishing_to
from tests.factories import UserFactory

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH)
# Four below this process's Redis database, as tests/tickets/test_exactly_once.py does.
BROKER_DB_OFFSET = 4


@pytest.fixture
def queue():
    """A Redis database of its own as the broker, emptied first; yields the client."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (REDIS_URL)")
    base = urlparse(os.environ["REDIS_URL"])
    own = int(base.path.strip("/") or 0) - BROKER_DB_OFFSET
    url = f"redis://{base.hostname}:{base.port or 6379}/{own}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    with publishing_to(url):
        yield client
    client.flushdb()


def _pending(n: int, *, at: dt.datetime, channel: str = NoticeChannel.EMAIL) -> list[int]:
    """``n`` deliveries due since ``at``, written without enqueueing anything."""
    reader = UserFactory(email="reader@example.org", language="en")
    notifications = Notification.objects.bulk_create(
        Notification(
            key=f"queue-test:{at.timestamp()}:{i}",
            recipient=reader,
            kind=NoticeKind.DIGEST,
            created_at=at,
        )
        for i in range(n)
    )
    rows = Delivery.objects.bulk_create(
        Delivery(
            notification=notification,
            channel=channel,
            next_attempt_at=at,
            idempotency_key=f"{notification.key}:{channel}",
        )
        for notification in notifications
    )
    return [row.pk for row in rows]


def _waiting(client) -> int:
    return client.llen(delivery.DELIVERY_QUEUE)


# --- Once per lease ----------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db
def test_send_due_enqueues_a_waiting_row_once_per_lease_and_again_when_its_task_was_lost(queue):
    with time_machine.travel(MORNING, tick=False) as clock:
        _pending(3, at=MORNING - dt.timedelta(minutes=1))
        assert delivery.send_due() == 3
        for _minute in range(5):  # beat runs every minute while the tasks still wait
            clock.shift(dt.timedelta(minutes=1))
            assert delivery.send_due() == 0
        assert _waiting(queue) == 3
        assert queue.llen("celery") == 0  # nothing on the sweeps' queue

        queue.flushdb()  # the broker lost its data
        clock.shift(delivery.ENQUEUE_LEASE)
        assert delivery.send_due() == 3
        assert delivery.send_due() == 0
        assert _waiting(queue) == 3


@pytest.mark.redis
@pytest.mark.django_db
def test_the_enqueue_on_commit_counts_as_an_enqueue(queue, django_capture_on_commit_callbacks):
    with time_machine.travel(MORNING, tick=False):
        ids = _pending(2, at=MORNING)
        with django_capture_on_commit_callbacks(execute=True):
            delivery.send_after_commit(ids)
        assert _waiting(queue) == 2
        assert delivery.send_due() == 0
        assert _waiting(queue) == 2
        assert set(Delivery.objects.values_list("enqueued_at", flat=True)) == {MORNING}


@pytest.mark.redis
@pytest.mark.django_db
def test_send_due_tops_the_queue_up_to_its_limit_instead_of_adding_to_it(queue):
    with time_machine.travel(MORNING, tick=False) as clock:
        _pending(8, at=MORNING - dt.timedelta(minutes=1))
        assert delivery.send_due(limit=5) == 5
        clock.shift(delivery.ENQUEUE_LEASE + dt.timedelta(minutes=1))
        # Five still wait (no worker): the queue is full, even for the rows never enqueued.
        assert delivery.send_due(limit=5) == 0
        queue.delete(delivery.DELIVERY_QUEUE)
        assert delivery.send_due(limit=5) == 5
        assert _waiting(queue) == 5


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_send_due_runs_at_once_enqueue_each_row_once(queue):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SKIP LOCKED)")
    _pending(600, at=timezone.now() - dt.timedelta(minutes=1))
    start = threading.Barrier(2)
    counts: list[int] = []

    def run():
        try:
            start.wait()
            counts.append(delivery.send_due(limit=5000))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == 600, counts
    assert _waiting(queue) == 600


def test_the_deliveries_have_a_queue_of_their_own():
    from governance.celery import app

    def queue_of(name: str) -> str:
        return app.amqp.router.route({}, name)["queue"].name

    assert queue_of("notifications.delivery.deliver_task") == delivery.DELIVERY_QUEUE
    # The sweeps have a queue of their own too (tests/core/test_queues.py); the job that tops
    # up the deliveries' queue must not wait behind it.
    assert queue_of("tickets.tasks.sweep_deadlines") == "sweep"
    assert queue_of("notifications.tasks.send_due_deliveries") == "celery"


# --- The backlog on /healthz and the operations page -------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_the_oldest_due_delivery_and_stays_200_when_it_lags(client):
    Heartbeat.objects.create(name="beat", at=timezone.now())
    now = timezone.now()
    _pending(2, at=now - dt.timedelta(minutes=15))
    # Held for the morning: not due, not counted, whatever its age.
    held = _pending(1, at=now - dt.timedelta(minutes=1))
    Delivery.objects.filter(pk__in=held).update(
        state=Delivery.State.HELD, next_attempt_at=now + dt.timedelta(hours=6)
    )
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    check = body["checks"]["deliveries"]
    assert check["ok"] is False
    assert check["due"] == 2
    assert 899 <= check["oldest_due_seconds"] <= 960
    assert {"sending", "unknown", "oldest_due_at"} <= set(check)

    Delivery.objects.filter(state=Delivery.State.PENDING).update(state=Delivery.State.SENT)
    check = client.get("/healthz").json()["checks"]["deliveries"]
    assert (check["ok"], check["due"], check["oldest_due_seconds"]) == (True, 0, None)


@pytest.mark.django_db
def test_the_operations_page_shows_the_delivery_backlog_and_unknown_robot_messages(
    client, district_officer
):
    now = timezone.now()
    _pending(3, at=now - dt.timedelta(minutes=12))
    unknown = _pending(1, at=now, channel=NoticeChannel.WECOM)
    Delivery.objects.filter(pk__in=unknown).update(
        state=Delivery.State.UNKNOWN, attempts=1, last_error=delivery.UNKNOWN_ERROR
    )
    client.force_login(district_officer)
    response = client.get(reverse("operations"))
    html = response.content.decode()
    backlog = response.context["backlog"]
    assert (backlog["due"], backlog["unknown"]) == (3, 1)
    assert 12 * 60 <= backlog["oldest_due_seconds"] < 13 * 60
    assert [d.pk for d in response.context["unknown"]] == unknown
    assert reverse("delivery_retry", kwargs={"pk": unknown[0]}) in html
    assert "Oldest due message waiting" in html


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_counts_the_messages_waiting_in_each_queue(queue, client):
    Heartbeat.objects.create(name="beat", at=timezone.now())
    _pending(3, at=timezone.now() - dt.timedelta(minutes=1))
    assert delivery.send_due() == 3
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["queues"] == {
        "celery": 0,
        "deliveries": 3,
        "imports": 0,
        "rollups": 0,
        "sweep": 0,
    }
