"""The external channels a delivery goes out on: email, WeCom and DingTalk group robots, SMS,
and the callbacks to connected systems, whose sender the tickets app registers (``register``:
notifications know no tickets).

Each ``send_*`` takes the delivery and its idempotency key and returns when the provider has
accepted the message, or raises ``ChannelError``; notifications/delivery.py decides about
retries. The words come from notifications/texts.py, rendered in the reader's language: the
recipient's for email and SMS, Chinese for group robots (a group has no single reader).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

# The SMS adapter lives in core (accounts sends one-time codes through it); its names stay
# importable from here, and SMS_BACKEND = "notifications.channels.LoggingSMSBackend" works.
from core.links import absolute
from core.sms import ChannelError, LoggingSMSBackend, SMSBackend, get_sms_backend
from notifications import texts
from notifications.models import Delivery, NoticeChannel

logger = logging.getLogger(__name__)

__all__ = ["ChannelError", "LoggingSMSBackend", "SMSBackend", "get_sms_backend", "send"]

ROBOT_LANGUAGE = "zh-hans"


def _language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


# --- Email -----------------------------------------------------------------------------------


def message_id(idempotency_key: str) -> str:
    # Stable per delivery, so a mail system that saw this message already can drop a repeat.
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@grid-governance>"


def send_email(delivery: Delivery, *, idempotency_key: str) -> None:
    recipient = delivery.notification.recipient
    if recipient is None or not recipient.email:
        raise ChannelError("recipient has no email address", permanent=True)
    with translation.override(_language(recipient)):
        text = texts.describe(delivery.notification)
        context = {"text": text, "link": absolute(text.link), "recipient": recipient}
        subject = render_to_string("notifications/email/notification_subject.txt", context)
        body = render_to_string("notifications/email/notification_body.txt", context)
    message = EmailMessage(
        # A header must be one line, whatever the template or the parameters hold.
        subject=" ".join(subject.split()),
        body=body,
        to=[recipient.email],
        headers={"Message-ID": message_id(idempotency_key)},
    )
    try:
        message.send()
    except Exception as exc:  # SMTP errors, refused connections, timeouts: all retryable
        raise ChannelError(f"email: {type(exc).__name__}: {exc}") from exc


# --- Group robots ----------------------------------------------------------------------------


# Robots' connections, kept open between messages (HTTP keep-alive): a new TLS handshake to
# WeCom or DingTalk per message cost more than the message. One set per thread (a worker's
# threads or processes each send on their own); a connection idle longer than KEEP_ALIVE_IDLE
# is opened afresh, so the server's own idle timeout rarely closes one under us.
_connections = threading.local()
KEEP_ALIVE_IDLE = 15.0


class _Kept:
    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self.connection = connection
        self.used = time.monotonic()
        self.reused = False


def _kept(parts: urllib.parse.SplitResult) -> _Kept:
    pool = _connections.__dict__.setdefault("pool", {})
    key = (parts.scheme, parts.netloc)
    kept = pool.get(key)
    if kept is not None and time.monotonic() - kept.used <= KEEP_ALIVE_IDLE:
        kept.reused = True
        return kept
    if kept is not None:
        kept.connection.close()
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    kept = pool[key] = _Kept(cls(parts.hostname, parts.port, timeout=settings.NOTIFY_HTTP_TIMEOUT))
    return kept


def _forget(parts: urllib.parse.SplitResult) -> None:
    kept = _connections.__dict__.get("pool", {}).pop((parts.scheme, parts.netloc), None)
    if kept is not None:
        kept.connection.close()


def _proxied(parts: urllib.parse.SplitResult) -> bool:
    proxies = urllib.request.getproxies()
    return parts.scheme in proxies and not urllib.request.proxy_bypass(parts.hostname or "")


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST on a kept connection; (status, up to 64 KiB of the answer)."""
    parts = urllib.parse.urlsplit(url)
    if _proxied(parts):
        return _post_once(url, body, headers)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kept = _kept(parts)
    try:
        try:
            kept.connection.request("POST", target, body=body, headers=headers)
            response = kept.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not kept.reused:
                raise
            # The server closed the idle connection without answering: it did not take
            # this message, so it goes once more, on a new connection.
            _forget(parts)
            kept = _kept(parts)
            kept.connection.request("POST", target, body=body, headers=headers)
            response = kept.connection.getresponse()
        raw = response.read(65536)
    except BaseException:
        _forget(parts)
        raise
    if response.will_close or not response.isclosed():
        _forget(parts)  # closing, or a longer answer than we read: not reusable
    else:
        kept.used = time.monotonic()
    return response.status, raw


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST ``body`` to ``url`` as the robots are posted to (kept connections, the
    environment's proxy); (status, up to 64 KiB of the answer). Network errors raise."""
    return _post(url, body, headers)


def _post_once(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """Through urllib, which honours the environment's proxy settings; no keep-alive."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310 - the scheme is checked by the caller
            request, timeout=settings.NOTIFY_HTTP_TIMEOUT
        ) as response:
            return response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _post_json(url: str, payload: dict, *, idempotency_key: str) -> None:
    """POST to a robot and check its answer, ``{"errcode": 0, "errmsg": "ok"}`` when taken."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ChannelError("robot URL is not http(s)", permanent=True)
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Idempotency-Key": idempotency_key,
    }
    try:
        status, raw = _post(url, body, headers)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        # refused, DNS, timeout, a broken answer
        raise ChannelError(f"robot unreachable: {exc}") from exc
    if status >= 400:
        raise ChannelError(f"robot answered HTTP {status}")
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise ChannelError("robot answer is not JSON") from exc
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        errcode = answer.get("errcode") if isinstance(answer, dict) else None
        errmsg = answer.get("errmsg") if isinstance(answer, dict) else None
        raise ChannelError(f"robot errcode {errcode}: {errmsg}")


def _robot(delivery: Delivery):
    webhook = delivery.notification.webhook
    if webhook is None or not webhook.active:
        raise ChannelError("group robot removed or switched off", permanent=True)
    return webhook


def _markdown(delivery: Delivery, *, title_line: str) -> tuple[str, str]:
    """(title, markdown) in Chinese; ``title_line`` formats the title, e.g. "**{}**"."""
    with translation.override(ROBOT_LANGUAGE):
        text = texts.describe(delivery.notification)
        open_label = _("Open the request")
    link = f"[{open_label}]({absolute(text.link)})"
    return text.title, "\n\n".join([title_line.format(text.title), text.body, link])


def send_wecom(delivery: Delivery, *, idempotency_key: str) -> None:
    webhook = _robot(delivery)
    # A bold first line reads best in a WeCom group; its headings are oversized.
    _title, content = _markdown(delivery, title_line="**{}**")
    _post_json(
        webhook.url,
        {"msgtype": "markdown", "markdown": {"content": content}},
        idempotency_key=idempotency_key,
    )


def dingtalk_sign(secret: str, timestamp: int) -> str:
    """DingTalk 加签: base64 HMAC-SHA256 of "timestamp\\nsecret", keyed by the secret."""
    string_to_sign = f"{timestamp}\n{secret}"
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_url(url: str, secret: str, *, timestamp: int | None = None) -> str:
    if not secret:
        return url
    timestamp = int(time.time() * 1000) if timestamp is None else timestamp
    sign = urllib.parse.quote_plus(dingtalk_sign(secret, timestamp))
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def send_dingtalk(delivery: Delivery, *, idempotency_key: str) -> None:
    webhook = _robot(delivery)
    title, text = _markdown(delivery, title_line="#### {}")
    _post_json(
        dingtalk_url(webhook.url, webhook.secret),
        {"msgtype": "markdown", "markdown": {"title": title, "text": text}},
        idempotency_key=idempotency_key,
    )


# --- SMS -------------------------------------------------------------------------------------


def send_sms(delivery: Delivery, *, idempotency_key: str) -> None:
    recipient = delivery.notification.recipient
    if recipient is None or not recipient.phone:
        raise ChannelError("recipient has no mobile number", permanent=True)
    with translation.override(_language(recipient)):
        text = texts.describe(delivery.notification)
    get_sms_backend().send(
        phone=recipient.phone,
        text=f"{text.title} {absolute(text.link)}",
        idempotency_key=idempotency_key,
    )


SENDERS = {
    NoticeChannel.EMAIL: send_email,
    NoticeChannel.WECOM: send_wecom,
    NoticeChannel.DINGTALK: send_dingtalk,
    NoticeChannel.SMS: send_sms,
}


def register(channel: str, sender) -> None:
    """``sender(delivery, *, idempotency_key)`` sends ``channel``'s deliveries (called from an
    app's ``ready()``: the callbacks to connected systems are the tickets app's)."""
    SENDERS[channel] = sender


def send(delivery: Delivery, *, idempotency_key: str) -> None:
    sender = SENDERS.get(delivery.channel)
    if sender is None:
        raise ChannelError(f"unknown channel {delivery.channel!r}", permanent=True)
    sender(delivery, idempotency_key=idempotency_key)
