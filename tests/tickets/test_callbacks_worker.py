"""Callbacks through a real Celery worker (issue 22): a status change committed in this
process is enqueued on commit to a real broker, and a worker of its own posts it once, signed,
to a receiver on 127.0.0.1. Kept apart from tests/tickets/test_callbacks.py, whose clock is
frozen: the worker's is not."""

from __future__ import annotations

import threading
import uuid

import pytest

from notifications.models import Delivery, NoticeChannel
from tests.broker import publishing_to
from tests.tickets.test_callbacks import Receiver, verify
from tests.tickets.test_exactly_once import _env, _worker, broker  # noqa: F401 - a fixture
from tests.waiting import running, stop, wait_for_progress
from tickets import services
from tickets.models import Channel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def receiver(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = Receiver()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_a_status_change_reaches_the_system_once_through_a_real_worker(
    territory,
    matter,
    dispatcher,
    district_officer,
    receiver,
    broker,  # noqa: F811 - the fixture imported above
    settings,
    tmp_path,
):
    settings.CALLBACK_ALLOW_LOCAL = True
    system, _token = services.create_api_client(
        by=district_officer, name="12345热线", area=territory.district
    )
    receiver.secret = services.set_api_client_callback(
        by=district_officer, client=system, url=receiver.url
    )
    system.refresh_from_db()
    ticket = services.submit(
        channel=Channel.SYSTEM,
        matter=matter,
        description="3幢楼道堆物，市民来电",
        reporter_phone="13812345678",
        grid=territory.grid,
        api_client=system,
        idempotency_key=str(uuid.uuid4()),
    )
    worker = _worker(_env(broker, CALLBACK_ALLOW_LOCAL="true"), "callbacks", tmp_path)
    try:
        with publishing_to(broker):
            services.accept(by=dispatcher, ticket=ticket)  # commits: enqueued on commit
        row = Delivery.objects.get(channel=NoticeChannel.CALLBACK)
        wait_for_progress(
            lambda: Delivery.objects.get(pk=row.pk).state,
            lambda state: state == Delivery.State.SENT,
            what="the worker to send the callback",
            alive=running(worker, "the worker"),
        )
    finally:
        stop(worker, what="the worker")
    (sent,) = receiver.received
    assert verify(receiver.secret, sent["headers"], sent["body"])
    assert sent["json"]["service_request_id"] == ticket.short_code
    assert sent["json"]["grid_status"] == "accepted"
