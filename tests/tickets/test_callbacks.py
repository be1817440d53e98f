"""Callbacks to connected systems (issue 22, "two-way link"): a system that files requests
through the API hears of each public status change, signed, once, through the deliveries'
back-off and retries; nothing for internal events, other requests or a rolled-back change."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import uuid
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from notifications import delivery
from notifications.models import Delivery, NoticeChannel, NoticeKind, Notification
from tests.waiting import STALL_SECONDS
from tickets import callbacks, services
from tickets.models import ApiClient, Channel, Status

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH)
NIGHT = dt.datetime(2026, 3, 10, 23, 30, tzinfo=SH)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.CALLBACK_ALLOW_LOCAL = True  # the receiver below listens on http://127.0.0.1
    settings.NOTIFY_MAX_ATTEMPTS = 5
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    settings.NOTIFY_HTTP_TIMEOUT = int(STALL_SECONDS)
    settings.PUBLIC_BASE_URL = "https://grid.example.gov.cn"
    settings.QUIET_HOURS_START, settings.QUIET_HOURS_END = 22, 7


def _readme_check():
    """The receiver's check as the README shows it, run as written."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    code = re.search(r"```python\n(import hashlib, hmac, time\n.*?)```", readme, re.S).group(1)
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - our own README
    return scope["verified"]


def verify(secret: str, headers, body: bytes) -> bool:
    return _readme_check()(secret, headers, body)


class Receiver:
    """A connected system's endpoint on 127.0.0.1: checks each signature with the secret it
    was given, records what came, answers ``status``."""

    def __init__(self) -> None:
        self.secret = ""
        self.status = 200
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(
                    {
                        "headers": dict(self.headers),
                        "body": body,
                        "json": json.loads(body),
                        "valid": verify(receiver.secret, self.headers, body),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/grid/callback"


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


@pytest.fixture
def system(district_officer, territory, receiver) -> ApiClient:
    """The 12345 hotline, with its callback pointing at the receiver."""
    client, _token = services.create_api_client(
        by=district_officer, name="12345热线", area=territory.district
    )
    receiver.secret = services.set_api_client_callback(
        by=district_officer, client=client, url=receiver.url
    )
    client.refresh_from_db()
    return client


def _file(system, matter, territory, key=None):
    return services.submit(
        channel=Channel.SYSTEM,
        matter=matter,
        description="3幢楼道堆物，市民来电",
        reporter_phone="13812345678",
        grid=territory.grid,
        api_client=system,
        idempotency_key=key or str(uuid.uuid4()),
    )


@pytest.fixture
def filed(system, matter, territory):
    return _file(system, matter, territory)


def _callbacks():
    return Delivery.objects.filter(channel=NoticeChannel.CALLBACK).order_by("pk")


def _send_all(now=None) -> dict:
    return delivery.send_due_inline(now=now)


def test_a_public_status_change_reaches_the_system_signed_on_commit(
    filed, dispatcher, receiver, django_capture_on_commit_callbacks
):
    assert not _callbacks().exists()  # filing it is no change: the system made it
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(by=dispatcher, ticket=filed)

    (sent,) = receiver.received
    assert sent["valid"]
    headers, body = sent["headers"], sent["json"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Grid-Signature"].startswith("sha256=")
    assert body["type"] == "request.status_changed"
    assert body["service_request_id"] == filed.short_code
    assert (body["status"], body["grid_status"]) == ("open", Status.ACCEPTED)
    assert body["previous_grid_status"] == Status.SUBMITTED
    assert body["updated_datetime"] == "2026-03-10T10:00:00+08:00"
    assert body["tracking_url"] == (
        "https://grid.example.gov.cn" + reverse("ticket_track", args=[filed.tracking_token])
    )
    assert headers["Idempotency-Key"] == body["event_id"]
    assert _callbacks().get().state == Delivery.State.SENT


def test_a_rejection_says_closed_with_the_public_reason(filed, dispatcher, receiver):
    services.reject(by=dispatcher, ticket=filed, reason="不属于本社区管辖")
    _send_all()
    (sent,) = receiver.received
    assert (sent["json"]["status"], sent["json"]["grid_status"]) == ("closed", Status.REJECTED)
    assert sent["json"]["status_notes"] == "不属于本社区管辖"


def test_a_task_run_twice_posts_the_change_once(filed, dispatcher, receiver):
    services.accept(by=dispatcher, ticket=filed)
    pk = _callbacks().get().pk
    delivery.deliver_task(pk)
    delivery.deliver_task(pk)
    assert delivery.deliver(pk) == delivery.SKIPPED
    assert len(receiver.received) == 1
    assert Delivery.objects.get(pk=pk).attempts == 1


def test_a_server_error_is_retried_after_the_backoff_with_the_same_key(
    filed, dispatcher, receiver, clock
):
    services.accept(by=dispatcher, ticket=filed)
    receiver.status = 500
    assert _send_all() == {"pending": 1}
    row = _callbacks().get()
    assert row.attempts == 1 and "HTTP 500" in row.last_error
    assert row.next_attempt_at == MORNING + dt.timedelta(seconds=60)

    assert _send_all() == {}  # not due yet: nothing is posted
    assert len(receiver.received) == 1

    receiver.status = 200
    clock.shift(dt.timedelta(seconds=61))
    assert _send_all() == {"sent": 1}
    first, second = receiver.received
    assert first["body"] == second["body"]
    assert first["headers"]["Idempotency-Key"] == second["headers"]["Idempotency-Key"]
    assert second["valid"]


def test_a_callback_that_keeps_failing_ends_failed_on_the_operations_page(
    filed, dispatcher, receiver, clock, client, district_officer
):
    services.accept(by=dispatcher, ticket=filed)
    receiver.status = 503
    for _attempt in range(5):
        _send_all()
        clock.shift(dt.timedelta(hours=7))  # past any back-off
    row = _callbacks().get()
    assert (row.state, row.attempts) == (Delivery.State.FAILED, 5)
    assert len(receiver.received) == 5

    client.force_login(district_officer)
    page = client.get(reverse("operations")).content.decode()
    assert f"12345热线: {filed.short_code}" in page
    assert reverse("delivery_retry", args=[row.pk]) in page

    receiver.status = 200
    client.post(reverse("delivery_retry", args=[row.pk]))
    _send_all()
    assert _callbacks().get().state == Delivery.State.SENT


def test_internal_events_and_unchanged_statuses_send_nothing(
    filed, dispatcher, member_worker, receiver
):
    ticket = services.accept(by=dispatcher, ticket=filed)
    ticket = services.assign(by=dispatcher, ticket=ticket, assignee=member_worker)
    assert _callbacks().count() == 2
    # Returned to dispatch: a status change the resident does not see.
    ticket = services.return_to_dispatch(by=member_worker, ticket=ticket, reason="不在我片区")
    assert ticket.status == Status.ACCEPTED
    assert _callbacks().count() == 2
    _send_all()
    assert [r["json"]["grid_status"] for r in receiver.received] == ["accepted", "assigned"]


def test_requests_the_system_did_not_file_send_nothing(
    ticket, dispatcher, receiver, matter, territory, district_officer
):
    services.accept(by=dispatcher, ticket=ticket)  # a resident's, from the QR form
    other, _token = services.create_api_client(
        by=district_officer, name="sensors", area=territory.district
    )
    services.accept(by=dispatcher, ticket=_file(other, matter, territory))  # no callback set
    assert not _callbacks().exists()
    assert not Notification.objects.filter(kind=NoticeKind.CALLBACK).exists()


def test_a_revoked_system_hears_nothing_more(filed, dispatcher, receiver, system, district_officer):
    services.accept(by=dispatcher, ticket=filed)  # written while it was active
    services.set_api_client_active(by=district_officer, client=system, active=False)
    _send_all()
    row = _callbacks().get()
    assert row.state == Delivery.State.FAILED and "revoked" in row.last_error
    assert receiver.received == []


def test_a_rolled_back_transition_sends_nothing(
    filed, dispatcher, receiver, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as queued,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.accept(by=dispatcher, ticket=filed)
        raise RuntimeError("something after the change failed")
    assert queued == []
    assert not _callbacks().exists()
    assert not Notification.objects.filter(kind=NoticeKind.CALLBACK).exists()
    assert receiver.received == []


def test_a_stale_or_forged_signature_fails_the_readme_check(filed, dispatcher, receiver, clock):
    services.accept(by=dispatcher, ticket=filed)
    _send_all()
    (sent,) = receiver.received
    headers, body = sent["headers"], sent["body"]
    assert verify(receiver.secret, headers, body)
    assert not verify(receiver.secret, headers, body.replace(b"accepted", b"resolved"))
    clock.shift(dt.timedelta(minutes=6))
    assert not verify(receiver.secret, headers, body)  # a replay, later


def test_a_new_secret_signs_from_then_on_retries_included(
    filed, dispatcher, receiver, system, district_officer, clock
):
    old = receiver.secret
    services.accept(by=dispatcher, ticket=filed)
    new = services.rotate_callback_secret(by=district_officer, client=system)
    assert new != old and new.startswith("whsec_")
    system.refresh_from_db()
    assert system.callback_secret_hint == new[-6:]

    _send_all()  # the receiver still checks with the old secret
    (stale,) = receiver.received
    assert not stale["valid"]
    assert verify(new, stale["headers"], stale["body"])


def test_callbacks_are_not_held_for_quiet_hours(filed, dispatcher, receiver, clock):
    clock.move_to(NIGHT)
    services.accept(by=dispatcher, ticket=filed)
    assert _send_all() == {"sent": 1}
    assert len(receiver.received) == 1


# --- Registration ---------------------------------------------------------------------------


def test_the_signing_secret_is_shown_once_and_kept_out_of_the_audit_log(
    client, district_officer, territory, receiver
):
    added, _token = services.create_api_client(
        by=district_officer, name="12345热线", area=territory.district
    )
    client.force_login(district_officer)
    response = client.post(
        reverse("api_client_callback", args=[added.pk]),
        {"callback_url": receiver.url, "version": added.version},
        follow=True,
    )
    page = response.content.decode()
    added.refresh_from_db()
    secret = added.callback_secret
    assert added.callback_url == receiver.url and secret.startswith("whsec_")
    assert f'id="issued-callback-secret">{secret}<' in page
    again = client.get(reverse("api_client_detail", args=[added.pk])).content.decode()
    assert secret not in again and added.callback_secret_hint in again
    assert receiver.url in again  # on the history too: the address is no secret

    client.post(reverse("api_client_callback_secret", args=[added.pk]), {"version": added.version})
    added.refresh_from_db()
    assert added.callback_secret != secret
    from auditlog.models import LogEntry

    logged = " ".join(str(e.changes) for e in LogEntry.objects.get_for_object(added))
    assert "callback_url" in logged and "callback_secret_hint" in logged
    assert secret not in logged and added.callback_secret not in logged


def test_clearing_the_address_stops_callbacks_and_drops_the_secret(
    filed, dispatcher, system, district_officer, receiver
):
    services.set_api_client_callback(by=district_officer, client=system, url="")
    system.refresh_from_db()
    assert (system.callback_url, system.callback_secret) == ("", "")
    services.accept(by=dispatcher, ticket=filed)
    assert not _callbacks().exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/grid",
        "https://127.0.0.1/grid",
        "https://10.0.0.8/grid",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost:8443/grid",
        "https://user:pw@hooks.example.org/grid",
        "ftp://hooks.example.org/grid",
    ],
)
def test_in_production_only_public_https_addresses_are_taken(
    url, settings, district_officer, territory
):
    settings.CALLBACK_ALLOW_LOCAL = False
    added, _token = services.create_api_client(
        by=district_officer, name="12345热线", area=territory.district
    )
    with pytest.raises(ValidationError):
        services.set_api_client_callback(by=district_officer, client=added, url=url)
    services.set_api_client_callback(
        by=district_officer, client=added, url="https://hooks.example.org/grid"
    )


def test_in_production_a_host_resolving_to_a_private_address_is_not_posted_to(
    filed, dispatcher, receiver, settings
):
    services.accept(by=dispatcher, ticket=filed)
    settings.CALLBACK_ALLOW_LOCAL = False  # 127.0.0.1 is not on the internet
    _send_all()
    row = _callbacks().get()
    assert row.state == Delivery.State.FAILED and "address" in row.last_error
    assert receiver.received == []


def test_only_the_districts_staff_set_a_callback(street_officer, system, receiver):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_api_client_callback(by=street_officer, client=system, url=receiver.url)
    with pytest.raises(PermissionDenied):
        services.rotate_callback_secret(by=street_officer, client=system)


def test_the_payload_is_signed_over_the_exact_bytes_sent(filed, dispatcher):
    services.accept(by=dispatcher, ticket=filed)
    notification = _callbacks().get().notification
    body = callbacks.body_of(notification)
    assert json.loads(body) == notification.params["payload"]
    assert callbacks.signature("s", "1", body) == (
        "sha256=" + hmac.new(b"s", b"1." + body, hashlib.sha256).hexdigest()
    )
