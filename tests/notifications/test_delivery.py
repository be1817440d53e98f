"""Sending notifications: channels, quiet hours, back-off, retry, and robots over real HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import urllib.parse
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.exceptions import ValidationError

from notifications import channels, delivery
from notifications.models import (
    ChannelPreference,
    Delivery,
    NoticeChannel,
    NoticeKind,
    WebhookTarget,
)
from notifications.notify import notify
from tests.factories import UserFactory
from tests.waiting import STALL_SECONDS

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def clock():
    """Daytime by default, frozen: whatever the real clock says, quiet hours are not on."""
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _delivery_settings(settings):
    settings.QUIET_HOURS_START, settings.QUIET_HOURS_END = 22, 7
    settings.NOTIFY_MAX_ATTEMPTS = 5
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    # The robots here answer from a thread of this process: on a loaded machine that may
    # take longer than a real robot's timeout, and no test here is about the timeout.
    settings.NOTIFY_HTTP_TIMEOUT = int(STALL_SECONDS)
    settings.PUBLIC_BASE_URL = "https://grid.example.gov.cn"
    settings.SMS_BACKEND = "notifications.channels.LoggingSMSBackend"


class Robot:
    """A local HTTP server standing in for a WeCom or DingTalk robot; records every request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.answer: dict = {"errcode": 0, "errmsg": "ok"}
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                robot.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                body = json.dumps(robot.answer).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=abc"


@pytest.fixture
def robot(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = Robot()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _notify(ticket, recipients=(), kind=NoticeKind.ASSIGNED, **extra):
    params = {"code": ticket.short_code, "due": "2026-03-13T18:00:00+08:00"}
    notify(kind=kind, recipients=recipients, subject=ticket, params=params, **extra)


def _delivery(channel: str) -> Delivery:
    return Delivery.objects.select_related("notification").get(channel=channel)


def _mails_to(mailoutbox, address):
    return [m for m in mailoutbox if address in m.to]


# --- Email -----------------------------------------------------------------------------------


def test_email_goes_out_in_the_recipients_language(ticket, mailoutbox):
    chinese = UserFactory(username="zh_reader", email="zh@example.org", language="zh-hans")
    english = UserFactory(username="en_reader", email="en@example.org", language="en")
    _notify(ticket, [chinese, english])
    for pk in Delivery.objects.values_list("pk", flat=True):
        assert delivery.deliver(pk) == Delivery.State.SENT

    (zh,) = _mails_to(mailoutbox, "zh@example.org")
    (en,) = _mails_to(mailoutbox, "en@example.org")
    for mail in (zh, en):
        assert ticket.short_code in mail.subject
        assert "\n" not in mail.subject
        assert f"https://grid.example.gov.cn/tickets/{ticket.short_code}/" in mail.body
        assert mail.extra_headers["Message-ID"].endswith("@grid-governance>")
    assert "办结时限为2026-03-13 18:00。" in zh.body and "您好" in zh.body
    assert "The completion deadline is 2026-03-13 18:00." in en.body
    assert zh.subject.startswith("[网格治理] ")  # the site name is already in the catalogue
    assert zh.extra_headers["Message-ID"] != en.extra_headers["Message-ID"]


def test_a_second_deliver_of_the_same_delivery_sends_nothing(ticket, mailoutbox):
    reader = UserFactory(username="reader", email="reader@example.org", language="en")
    _notify(ticket, [reader])
    email = _delivery(NoticeChannel.EMAIL)
    assert delivery.deliver(email.pk) == Delivery.State.SENT
    assert delivery.deliver(email.pk) == "skipped"
    assert delivery.send_due() == 0
    assert len(_mails_to(mailoutbox, "reader@example.org")) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts, email.sent_at) == ("sent", 1, MORNING)


def test_notify_sends_on_commit(ticket, mailoutbox, django_capture_on_commit_callbacks):
    reader = UserFactory(username="reader", email="reader@example.org", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(ticket, [reader])
    assert len(_mails_to(mailoutbox, "reader@example.org")) == 1
    assert _delivery(NoticeChannel.EMAIL).state == Delivery.State.SENT


# --- Quiet hours -----------------------------------------------------------------------------


def test_quiet_hours_hold_a_message_until_seven(
    ticket, mailoutbox, clock, django_capture_on_commit_callbacks
):
    reader = UserFactory(username="reader", email="reader@example.org", language="en")
    clock.move_to(dt.datetime(2026, 3, 10, 23, 30, tzinfo=SH))
    with django_capture_on_commit_callbacks(execute=True):
        _notify(ticket, [reader])
    email = _delivery(NoticeChannel.EMAIL)
    assert (email.state, email.attempts) == (Delivery.State.HELD, 0)
    assert email.next_attempt_at == dt.datetime(2026, 3, 11, 7, 0, tzinfo=SH)
    assert not _mails_to(mailoutbox, "reader@example.org")

    clock.move_to(dt.datetime(2026, 3, 11, 6, 59, tzinfo=SH))
    assert delivery.send_due() == 0
    clock.move_to(dt.datetime(2026, 3, 11, 7, 0, tzinfo=SH))
    assert delivery.send_due() == 1  # eager in tests: the task runs deliver inline
    email.refresh_from_db()
    assert (email.state, email.attempts) == (Delivery.State.SENT, 1)
    assert len(_mails_to(mailoutbox, "reader@example.org")) == 1


def test_urgent_messages_go_out_at_night(ticket, mailoutbox, clock):
    reader = UserFactory(username="reader", email="reader@example.org", language="en")
    clock.move_to(dt.datetime(2026, 3, 11, 2, 0, tzinfo=SH))
    _notify(ticket, [reader], kind=NoticeKind.ESCALATED, level=1)
    email = _delivery(NoticeChannel.EMAIL)
    assert email.notification.urgent
    assert delivery.deliver(email.pk) == Delivery.State.SENT
    assert len(_mails_to(mailoutbox, "reader@example.org")) == 1


@pytest.mark.parametrize(
    ("start", "end", "local", "until"),
    [
        (22, 7, (2026, 3, 10, 21, 59), None),
        (22, 7, (2026, 3, 10, 22, 0), (2026, 3, 11, 7)),
        (22, 7, (2026, 3, 11, 3, 0), (2026, 3, 11, 7)),
        (22, 7, (2026, 3, 11, 7, 0), None),
        (1, 6, (2026, 3, 11, 2, 0), (2026, 3, 11, 6)),
        (1, 6, (2026, 3, 11, 23, 0), None),
        (7, 7, (2026, 3, 11, 3, 0), None),
    ],
)
def test_quiet_hours_wrap_midnight_and_equal_hours_mean_none(settings, start, end, local, until):
    settings.QUIET_HOURS_START, settings.QUIET_HOURS_END = start, end
    expected = dt.datetime(*until, tzinfo=SH) if until else None
    assert delivery.quiet_until(dt.datetime(*local, tzinfo=SH)) == expected


# --- Back-off, failure and retry -------------------------------------------------------------


def test_back_off_doubles_then_the_delivery_fails(ticket, territory, robot, clock, caplog):
    robot.status = 500
    WebhookTarget.objects.create(area=territory.grid, channel=NoticeChannel.WECOM, url=robot.url)
    _notify(ticket)
    wecom = _delivery(NoticeChannel.WECOM)
    now = MORNING
    waits = []
    with caplog.at_level(logging.WARNING, logger="notifications.delivery"):
        for attempt in range(1, 5):
            assert delivery.deliver(wecom.pk) == Delivery.State.PENDING
            wecom.refresh_from_db()
            assert wecom.attempts == attempt
            assert "HTTP 500" in wecom.last_error
            waits.append(wecom.next_attempt_at - now)
            assert delivery.deliver(wecom.pk) == "skipped"  # not due yet
            now = wecom.next_attempt_at
            clock.move_to(now)
        assert delivery.deliver(wecom.pk) == Delivery.State.FAILED
    assert waits == [dt.timedelta(seconds=s) for s in (60, 120, 240, 480)]
    wecom.refresh_from_db()
    assert (wecom.state, wecom.attempts) == (Delivery.State.FAILED, 5)
    assert len(robot.requests) == 5
    assert delivery.send_due() == 0
    assert "attempt 5 failed" in caplog.text
    assert delivery.counts() == {
        "pending": 0,
        "held": 0,
        "sending": 0,
        "sent": 0,
        "failed": 1,
        "unknown": 0,
    }


def test_back_off_is_capped_at_six_hours(settings):
    assert delivery.backoff(1) == dt.timedelta(minutes=1)
    assert delivery.backoff(3) == dt.timedelta(minutes=4)
    assert delivery.backoff(30) == dt.timedelta(hours=6)


def test_retry_of_a_failed_delivery_sends_it_again(
    ticket, territory, robot, django_capture_on_commit_callbacks
):
    WebhookTarget.objects.create(area=territory.grid, channel=NoticeChannel.WECOM, url=robot.url)
    _notify(ticket)
    wecom = _delivery(NoticeChannel.WECOM)
    Delivery.objects.filter(pk=wecom.pk).update(
        state=Delivery.State.FAILED, attempts=5, last_error="robot answered HTTP 500"
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery.retry(delivery_id=wecom.pk)
    wecom.refresh_from_db()
    assert (wecom.state, wecom.attempts, wecom.last_error) == (Delivery.State.SENT, 1, "")
    assert len(robot.requests) == 1
    with pytest.raises(ValidationError):
        delivery.retry(delivery_id=wecom.pk)


def test_retry_of_a_message_being_sent_is_refused(ticket, mailoutbox):
    reader = UserFactory(username="reader", email="reader@example.org", language="en")
    _notify(ticket, [reader])
    email = _delivery(NoticeChannel.EMAIL)
    Delivery.objects.filter(pk=email.pk).update(
        state=Delivery.State.SENDING, attempts=1, next_attempt_at=MORNING + delivery.LEASE
    )
    with pytest.raises(ValidationError, match="being sent right now"):
        delivery.retry(delivery_id=email.pk)
    email.refresh_from_db()
    assert (email.state, email.attempts) == (Delivery.State.SENDING, 1)


def test_send_due_inline_sends_without_a_worker(ticket, mailoutbox):
    reader = UserFactory(username="reader", email="reader@example.org", language="en")
    _notify(ticket, [reader])
    assert delivery.send_due_inline() == {"sent": 1}
    assert delivery.send_due_inline() == {}
    assert len(_mails_to(mailoutbox, "reader@example.org")) == 1


def test_a_lapsed_claim_is_tried_again_after_the_lease(ticket, clock, mailoutbox):
    reader = UserFactory(username="reader", email="reader@example.org", language="en")
    _notify(ticket, [reader])
    email = _delivery(NoticeChannel.EMAIL)
    # A worker claimed it and died before finishing.
    Delivery.objects.filter(pk=email.pk).update(
        attempts=1, next_attempt_at=MORNING + delivery.LEASE
    )
    assert delivery.send_due() == 0
    clock.move_to(MORNING + delivery.LEASE)
    assert delivery.send_due() == 1
    email.refresh_from_db()
    assert (email.state, email.attempts) == (Delivery.State.SENT, 2)


# --- A worker killed while sending ------------------------------------------------------------


class WorkerKilled(BaseException):
    """What a SIGKILL looks like to the code after it: nothing more of it runs."""


def _killed_after_sending(monkeypatch, channel):
    """The channel takes the message, then the worker dies before it can record that."""
    real = channels.SENDERS[channel]

    def send_then_die(row, *, idempotency_key):
        real(row, idempotency_key=idempotency_key)
        raise WorkerKilled

    monkeypatch.setitem(channels.SENDERS, channel, send_then_die)


def test_a_robot_message_whose_worker_died_mid_send_is_not_sent_again(
    ticket, territory, robot, clock, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    WebhookTarget.objects.create(area=territory.grid, channel=NoticeChannel.WECOM, url=robot.url)
    _notify(ticket)
    wecom = _delivery(NoticeChannel.WECOM)
    _killed_after_sending(monkeypatch, NoticeChannel.WECOM)
    with pytest.raises(WorkerKilled):
        delivery.deliver(wecom.pk)
    monkeypatch.undo()
    wecom.refresh_from_db()
    # Marked before the robot was called, with the attempt and the lease.
    assert (wecom.state, wecom.attempts) == (Delivery.State.SENDING, 1)
    assert wecom.next_attempt_at == MORNING + delivery.LEASE
    assert delivery.send_due() == 0  # within the lease: someone may still be sending

    clock.move_to(MORNING + delivery.LEASE + dt.timedelta(minutes=1))
    with caplog.at_level(logging.WARNING, logger="notifications.delivery"):
        assert delivery.send_due() == 0
        assert delivery.deliver(wecom.pk) == "skipped"  # a redelivered task sends nothing
    wecom.refresh_from_db()
    assert wecom.state == Delivery.State.UNKNOWN
    assert "not resent" in caplog.text
    assert len(robot.requests) == 1
    assert delivery.backlog()["unknown"] == 1

    # Staff looked at the group and decided it did not arrive: sent again, by hand.
    with django_capture_on_commit_callbacks(execute=True):
        delivery.retry(delivery_id=wecom.pk)
    wecom.refresh_from_db()
    assert (wecom.state, wecom.attempts) == (Delivery.State.SENT, 1)
    assert len(robot.requests) == 2


def test_an_email_whose_worker_died_mid_send_goes_again_with_the_same_message_id(
    ticket, clock, mailoutbox, monkeypatch
):
    reader = UserFactory(username="reader", email="reader@example.org", language="en")
    _notify(ticket, [reader])
    email = _delivery(NoticeChannel.EMAIL)
    _killed_after_sending(monkeypatch, NoticeChannel.EMAIL)
    with pytest.raises(WorkerKilled):
        delivery.deliver(email.pk)
    monkeypatch.undo()
    clock.move_to(MORNING + delivery.LEASE)
    assert delivery.send_due() == 1
    email.refresh_from_db()
    assert (email.state, email.attempts) == (Delivery.State.SENT, 2)
    first, second = _mails_to(mailoutbox, "reader@example.org")
    # The mail system drops the repeat by its Message-ID.
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]


# --- Group robots ----------------------------------------------------------------------------


def test_wecom_robot_receives_markdown_in_chinese(ticket, territory, robot):
    WebhookTarget.objects.create(
        area=territory.community, channel=NoticeChannel.WECOM, url=robot.url
    )
    _notify(ticket)
    wecom = _delivery(NoticeChannel.WECOM)
    assert delivery.deliver(wecom.pk) == Delivery.State.SENT
    (request,) = robot.requests
    assert request["path"] == "/robot/send?access_token=abc"
    assert request["headers"]["X-Idempotency-Key"] == wecom.idempotency_key
    assert request["headers"]["Content-Type"].startswith("application/json")
    payload = request["json"]
    assert payload["msgtype"] == "markdown"
    assert set(payload["markdown"]) == {"content"}
    content = payload["markdown"]["content"]
    assert content.startswith("**") and ticket.short_code in content.splitlines()[0]
    assert f"(https://grid.example.gov.cn/tickets/{ticket.short_code}/)" in content
    assert "办结时限为2026-03-13 18:00" in content  # a group reads Chinese


def test_dingtalk_robot_gets_a_signed_url_and_markdown(ticket, territory, robot):
    secret = "SEC0123456789abcdef"
    WebhookTarget.objects.create(
        area=territory.grid, channel=NoticeChannel.DINGTALK, url=robot.url, secret=secret
    )
    _notify(ticket)
    dingtalk = _delivery(NoticeChannel.DINGTALK)
    assert delivery.deliver(dingtalk.pk) == Delivery.State.SENT
    (request,) = robot.requests
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    assert query["access_token"] == ["abc"]
    (timestamp,) = query["timestamp"]
    assert int(timestamp) == int(MORNING.timestamp() * 1000)
    # Recomputed from DingTalk's documented recipe, independently of channels.dingtalk_sign.
    string_to_sign = f"{timestamp}\n{secret}"
    expected = base64.b64encode(
        hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    payload = request["json"]
    assert payload["msgtype"] == "markdown"
    assert ticket.short_code in payload["markdown"]["title"]
    assert payload["markdown"]["text"].startswith("#### " + payload["markdown"]["title"])
    assert request["headers"]["X-Idempotency-Key"] == dingtalk.idempotency_key


def test_robot_messages_share_one_kept_alive_connection(ticket, territory, robot, monkeypatch):
    """A TLS handshake per message was most of a robot message's cost (issue 18)."""
    from notifications.models import Notification

    opened = []
    monkeypatch.setattr(robot.server.RequestHandlerClass, "protocol_version", "HTTP/1.1")
    monkeypatch.setattr(
        robot.server.RequestHandlerClass, "setup", _counting_setup(opened), raising=False
    )
    WebhookTarget.objects.create(area=territory.grid, channel=NoticeChannel.WECOM, url=robot.url)
    _notify(ticket)
    _notify(ticket, kind=NoticeKind.OVERDUE)
    assert Notification.objects.count() == 2
    for pk in Delivery.objects.values_list("pk", flat=True):
        assert delivery.deliver(pk) == Delivery.State.SENT
    assert len(robot.requests) == 2
    assert len(opened) == 1


def _counting_setup(opened):
    from http.server import BaseHTTPRequestHandler

    def setup(self):
        opened.append(self.client_address)
        BaseHTTPRequestHandler.setup(self)

    return setup


def test_dingtalk_url_without_a_query_or_secret():
    assert channels.dingtalk_url("https://x.test/send", "") == "https://x.test/send"
    signed = channels.dingtalk_url("https://x.test/send", "s", timestamp=1)
    assert signed.startswith("https://x.test/send?timestamp=1&sign=")


def test_a_robot_errcode_counts_as_a_failure(ticket, territory, robot):
    robot.answer = {"errcode": 310000, "errmsg": "sign not match"}
    WebhookTarget.objects.create(
        area=territory.grid, channel=NoticeChannel.DINGTALK, url=robot.url, secret="s"
    )
    _notify(ticket)
    dingtalk = _delivery(NoticeChannel.DINGTALK)
    assert delivery.deliver(dingtalk.pk) == Delivery.State.PENDING
    dingtalk.refresh_from_db()
    assert "310000" in dingtalk.last_error
    assert dingtalk.next_attempt_at == MORNING + dt.timedelta(seconds=60)


def test_a_switched_off_robot_fails_at_once(ticket, territory, robot):
    hook = WebhookTarget.objects.create(
        area=territory.grid, channel=NoticeChannel.WECOM, url=robot.url
    )
    _notify(ticket)
    hook.active = False
    hook.save()
    wecom = _delivery(NoticeChannel.WECOM)
    assert delivery.deliver(wecom.pk) == Delivery.State.FAILED
    assert not robot.requests


# --- SMS -------------------------------------------------------------------------------------


def test_sms_goes_to_the_logging_backend(ticket, caplog):
    reader = UserFactory(username="reader", phone="13900001111", language="en")
    ChannelPreference.objects.create(
        user=reader, kind=NoticeKind.ASSIGNED, channel=NoticeChannel.SMS, enabled=True
    )
    _notify(ticket, [reader])
    sms = _delivery(NoticeChannel.SMS)
    with caplog.at_level(logging.INFO, logger="notifications.sms"):
        assert delivery.deliver(sms.pk) == Delivery.State.SENT
    (record,) = [r for r in caplog.records if r.name == "notifications.sms"]
    message = record.getMessage()
    assert ticket.short_code in message
    assert f"https://grid.example.gov.cn/tickets/{ticket.short_code}/" in message
    assert sms.idempotency_key in message
    assert "13900001111" not in message  # masked in the log


def test_the_delivery_command_sends_by_hand_or_through_the_worker(ticket, mailoutbox):
    import io

    from django.core.management import call_command

    reader = UserFactory(username="cmd_reader", email="cmd@example.org", language="en")
    _notify(ticket, [reader])  # outside on_commit capture: nothing was enqueued
    out = io.StringIO()
    call_command("send_due_deliveries", "--inline", stdout=out)
    call_command("send_due_deliveries", stdout=out)
    assert out.getvalue().splitlines() == ["1 deliveries tried: 1 sent", "0 deliveries enqueued"]
    assert len(_mails_to(mailoutbox, "cmd@example.org")) == 1
