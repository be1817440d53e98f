"""Callbacks to connected systems (issue 22, "two-way link"): an API client (tickets/api.py)
registers a URL, and each public status change of a request it filed is POSTed there, signed.

One delivery machinery, not two. A callback is a notification with no recipient (kind
"callback", its subject the ticket, the payload frozen in its params when the change happens)
and one ``Delivery`` on the channel "callback" (notifications.notify.to_system). From there
notifications/delivery.py does what it does for email and group robots: the claim by
conditional UPDATE, the lease, the back-off after a failure, "failed" after
NOTIFY_MAX_ATTEMPTS, the periodic ``send_due`` that re-enqueues what the broker lost, and the
staff's "Retry" on the operations page. The alternative, a model of our own in tickets with a
generic core extracted from delivery.py, would have cost a second table to claim, index and
watch, and two callers to keep in step; a channel costs one ``register`` call (tickets/apps.py)
and a line so that quiet hours do not hold a machine's messages (delivery.MACHINES). A worker
that dies mid-send leaves the row to be sent again after the lease, like email: the receiver
drops the repeat by its ``Idempotency-Key``.

Which changes are sent (``status_changed``, called from tickets.services._event, the one
place every timeline event is written, in the transaction of the change): a public event
whose status differs from the one before, i.e. a change the resident's tracking page shows:
accepted, rejected, assigned, claimed, started, suspended, resumed, resolved, closed (rated or
after AUTO_CLOSE_DAYS), reopened, merged. Not the submission (the client made it and had the
answer), not internal events (returned to dispatch), not public ones that leave the status as
it was (escalation, acknowledgement, notes). Only for requests the client filed, only while the
client is active and has a URL. A transition rolled back writes and sends nothing.

What is sent (``payload``)::

    {"event_id": "…uuid…", "type": "request.status_changed",
     "service_request_id": "<short code>", "status": "open" | "closed" (Open311),
     "grid_status": "resolved", "previous_grid_status": "in_progress",
     "status_notes": "<the public reason the tracking page shows, or empty>",
     "updated_datetime": "2026-12-06T17:30:00+08:00",
     "tracking_url": "https://…/t/…/"}

``tracking_url`` is the resident's private link that the create call returned to this same
client: it goes nowhere it has not gone already.

Headers: ``Content-Type: application/json``, ``Idempotency-Key: <event_id>`` (the same on every
retry), ``X-Grid-Timestamp: <unix seconds>`` and ``X-Grid-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``timestamp + "." + body`` keyed by the client's signing secret (the README
shows a receiver's check). The secret is read when sending: after a rotation, retries of older
changes are signed with the new one. A 2xx answer is delivered; anything else, a timeout or a
refused connection is tried again with the machinery's back-off.

Where to (``check_url``): https only. ``CALLBACK_ALLOW_LOCAL`` (on by default when DEBUG, and
in the tests) also allows http and loopback or private addresses; otherwise an address that is
not public is refused when saved (an IP literal, localhost) and before each send (every address
the host name resolves to), so a callback cannot aim the server at the intranet or a cloud's
metadata address. A proxy from the environment is used as for the robots (channels.post).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.parse
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.links import absolute
from notifications import channels, notify
from notifications.channels import ChannelError
from notifications.models import Delivery, NoticeChannel, NoticeKind, Notification
from notifications.texts import Text
from tickets.models import OPEN_STATUSES, ApiClient, Event, Status

EVENT_TYPE = "request.status_changed"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


# --- Registration -----------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _allow_local() -> bool:
    return bool(getattr(settings, "CALLBACK_ALLOW_LOCAL", False))


def _public_address(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


def check_url(url: str) -> None:
    """A callback URL we may POST to (see the module's docstring); raises ValidationError."""
    parts = urllib.parse.urlsplit(url or "")
    schemes = ("https", "http") if _allow_local() else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValidationError(
            {"callback_url": _("A callback address starts with https:// and names a host.")}
        )
    if parts.username or parts.password:
        raise ValidationError(
            {"callback_url": _("Leave the user name and password out of the address.")}
        )
    if _allow_local():
        return
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if host == "localhost" or host.endswith(".localhost") or (literal and not literal.is_global):
        raise ValidationError(
            {"callback_url": _("A callback address must be reachable on the internet.")}
        )


# --- Writing a callback with the change ---------------------------------------------------------


def reported(event: Event) -> bool:
    """Whether ``event`` is a public status change (see the module's docstring)."""
    return bool(event.public and event.from_status and event.from_status != event.to_status)


def payload(event: Event, *, event_id: str) -> dict:
    ticket = event.ticket
    return {
        "event_id": event_id,
        "type": EVENT_TYPE,
        "service_request_id": ticket.short_code,
        "status": "open" if ticket.status in OPEN_STATUSES else "closed",
        "grid_status": ticket.status,
        "previous_grid_status": event.from_status,
        "status_notes": ticket.public_reason or "",
        "updated_datetime": timezone.localtime(event.at).isoformat(timespec="seconds"),
        "tracking_url": absolute(reverse("ticket_track", args=[ticket.tracking_token])),
    }


def status_changed(event: Event) -> Delivery | None:
    """Write the callback of ``event`` if its ticket's client wants one; it goes on commit.

    Costs nothing for a ticket no system filed (no query), one query for one whose client
    has no callback."""
    ticket = event.ticket
    if ticket.api_client_id is None or not reported(event):
        return None
    client = (
        ApiClient.objects.filter(pk=ticket.api_client_id, active=True)
        .exclude(callback_url="")
        .only("pk", "name")
        .first()
    )
    if client is None:
        return None
    event_id = str(uuid.uuid4())
    return notify.to_system(
        key=f"{NoticeKind.CALLBACK.value}:e{event.pk}:c{client.pk}",
        kind=NoticeKind.CALLBACK,
        channel=NoticeChannel.CALLBACK,
        subject=ticket,
        params={
            "client": client.pk,
            "client_name": client.name,
            "event": event.pk,
            "payload": payload(event, event_id=event_id),
        },
        idempotency_key=event_id,
    )


# --- Sending (the channel's sender, notifications/delivery.py calls it) -------------------------


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def body_of(notification: Notification) -> bytes:
    """The payload as sent: the same bytes on every retry."""
    return json.dumps(
        notification.params["payload"], ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()


def _check_resolved(url: str) -> None:
    """Every address the host resolves to is public (unless CALLBACK_ALLOW_LOCAL)."""
    if _allow_local():
        return
    parts = urllib.parse.urlsplit(url)
    try:
        check_url(url)
    except ValidationError as exc:
        raise ChannelError("callback address not allowed", permanent=True) from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ChannelError(f"callback host not found: {exc}") from exc
    if not infos or not all(_public_address(info[4][0]) for info in infos):
        raise ChannelError("callback host resolves to a non-public address", permanent=True)


def send(delivery: Delivery, *, idempotency_key: str) -> None:
    notification = delivery.notification
    client = (
        ApiClient.objects.filter(pk=notification.params.get("client"))
        .only("pk", "active", "callback_url", "callback_secret")
        .first()
    )
    if client is None or not client.active or not client.callback_url:
        raise ChannelError("the client was revoked or its callback removed", permanent=True)
    if not client.callback_secret:
        raise ChannelError("the client has no signing secret", permanent=True)
    _check_resolved(client.callback_url)
    body = body_of(notification)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": idempotency_key,
        "X-Grid-Timestamp": timestamp,
        "X-Grid-Signature": signature(client.callback_secret, timestamp, body),
        "User-Agent": "grid-governance-callbacks/1",
    }
    try:
        status, _raw = channels.post(client.callback_url, body, headers)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise ChannelError(f"callback unreachable: {exc}") from exc
    if not 200 <= status < 300:
        raise ChannelError(f"callback answered HTTP {status}")


def describe(notification: Notification) -> Text:
    """The operations page's line for a callback (notifications/texts.py)."""
    params = notification.params
    data = params.get("payload", {})
    status = data.get("grid_status", "")
    label = str(Status(status).label) if status in Status.values else status
    return Text(
        title=_("Callback to %(client)s: %(code)s %(status)s")
        % {
            "client": params.get("client_name", ""),
            "code": data.get("service_request_id", ""),
            "status": label,
        },
        body="",
        link=reverse("api_client_detail", args=[params.get("client", 0)]),
    )
