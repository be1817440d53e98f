"""Writing notifications exactly once, and handing their deliveries to Celery after commit.

Every notification has a unique key; rows are inserted with ``ignore_conflicts``, so a
second sweeper, a retried task or a replayed transition writes nothing new. Deliveries are
created in the same transaction; their sending is enqueued on commit, and the periodic
delivery job re-sends anything the broker never got (notifications/delivery.py).

``notify_many`` writes a whole batch in a fixed number of queries (the deadline sweep calls
it once per batch of claimed tickets); ``notify`` is the one-message convenience.

A message may be about a *subject*: any model instance that follows ``Subject`` (a ticket,
say). Notifications store its content type and id, and ask nothing else of it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from grids.cover import standins
from grids.models import Area, ancestor_paths
from notifications import bell, delivery
from notifications.models import (
    ChannelPreference,
    Delivery,
    NoticeChannel,
    NoticeKind,
    Notification,
    WebhookTarget,
)

# Kinds that go out even in quiet hours (22:00–07:00): the rest wait for the morning.
URGENT_KINDS = {NoticeKind.ESCALATED}


class Subject(Protocol):
    """What a notification can be about: a saved model instance that lies in an area."""

    pk: int
    # Whose group robots hear of it: the robots of this area and of every area above.
    area: Area
    # Names the subject's model in notification keys ("t" for tickets). Keys are stored and
    # compared for ever, so it never changes once chosen.
    notification_tag: ClassVar[str]


@dataclass
class Message:
    """One thing to tell some people (and the group robots of the subject's areas)."""

    kind: str
    recipients: Iterable
    subject: Subject | None = None
    level: int = 0
    deadline_version: int = 0
    params: dict = field(default_factory=dict)
    urgent: bool | None = None
    robots: bool = True
    extra_key: str = ""
    # Who caused it: never told of their own act, even as someone's stand-in (AB岗).
    actor_id: int | None = None


def notification_key(
    *,
    kind: str,
    recipient_id: int | None,
    subject: Subject | None = None,
    level: int = 0,
    deadline_version: int = 0,
    webhook_id: int | None = None,
    extra: str = "",
) -> str:
    who = f"u{recipient_id}" if recipient_id is not None else f"w{webhook_id}"
    what = f"{subject.notification_tag}{subject.pk}:v{deadline_version}" if subject else "-"
    return f"{kind}:{what}:l{level}:{who}{':' + extra if extra else ''}"


def to_system(
    *, key: str, kind: str, channel: str, subject, params: dict, idempotency_key: str
) -> Delivery:
    """One message to a connected system rather than a person (a callback): a notification
    with no recipient, and its one delivery on ``channel``, enqueued on commit and from then on
    claimed, backed off, retried and shown to staff like every other delivery. Call it in the
    transaction that makes the change it reports, so a change rolled back sends nothing."""
    notification = Notification.objects.create(key=key, kind=kind, subject=subject, params=params)
    row = Delivery.objects.create(
        notification=notification, channel=channel, idempotency_key=idempotency_key
    )
    delivery.send_after_commit([row.pk])
    return row


def channels_for(user, kind: str, preferences: dict | None = None) -> list[str]:
    """The external channels ``user`` wants for ``kind`` (in-app is always on).

    ``preferences`` maps (user id, kind, channel) → enabled, for a batch read once; without a
    preference: email when the user has an address, nothing else.
    """
    if preferences is None:
        preferences = {
            (p.user_id, p.kind, p.channel): p.enabled
            for p in ChannelPreference.objects.filter(user=user, kind=kind)
        }
    enabled = {
        channel
        for channel in NoticeChannel.values
        if preferences.get((user.pk, kind, channel)) is True
    }
    if user.email and preferences.get((user.pk, kind, NoticeChannel.EMAIL)) is not False:
        enabled.add(NoticeChannel.EMAIL)
    if not user.email:
        enabled.discard(NoticeChannel.EMAIL)
    if not getattr(user, "phone", ""):
        enabled.discard(NoticeChannel.SMS)
    # Group robots are an area's, callbacks a system's: not a person's.
    enabled -= {NoticeChannel.WECOM, NoticeChannel.DINGTALK, NoticeChannel.CALLBACK}
    return sorted(enabled)


@transaction.atomic
def notify_many(messages: Iterable[Message], now=None) -> int:
    """Write every message's notifications and deliveries; returns how many were new."""
    now = now or timezone.now()
    messages = list(messages)
    if not messages:
        return 0
    for m in messages:
        m.recipients = list(m.recipients)  # read twice below
    _route_to_standins(messages, now)
    paths = {
        p
        for m in messages
        if m.subject is not None and m.robots
        for p in ancestor_paths(m.subject.area.path)
    }
    hooks_by_path = defaultdict(list)
    for hook in WebhookTarget.objects.filter(active=True, area__path__in=paths).select_related(
        "area"
    ):
        hooks_by_path[hook.area.path].append(hook)
    preferences = {
        (p.user_id, p.kind, p.channel): p.enabled
        for p in ChannelPreference.objects.filter(
            user_id__in={u.pk for m in messages for u in m.recipients if u is not None}
        )
    }
    rows: dict[str, dict] = {}
    # The external channels of each row, decided before writing: most rows (a dispatcher
    # without email, a worker who only uses the bell) need no delivery at all.
    channels: dict[str, list[str]] = {}
    for m in messages:
        urgent = m.kind in URGENT_KINDS if m.urgent is None else m.urgent
        subject_type = (
            ContentType.objects.get_for_model(m.subject) if m.subject is not None else None
        )
        common = {
            "subject_type_id": subject_type.pk if subject_type is not None else None,
            "subject_id": m.subject.pk if m.subject is not None else None,
            "kind": m.kind,
            "level": m.level,
            "deadline_version": m.deadline_version,
            "urgent": urgent,
            "params": m.params,
            "created_at": now,
        }
        for user in m.recipients:
            if user is None or not user.is_active:
                continue
            key = notification_key(
                kind=m.kind,
                recipient_id=user.pk,
                subject=m.subject,
                level=m.level,
                deadline_version=m.deadline_version,
                extra=m.extra_key,
            )
            rows[key] = {"key": key, "recipient_id": user.pk, "webhook_id": None, **common}
            channels[key] = channels_for(user, m.kind, preferences)
        if m.subject is not None and m.robots:
            for path in ancestor_paths(m.subject.area.path):
                for hook in hooks_by_path.get(path, []):
                    key = notification_key(
                        kind=m.kind,
                        recipient_id=None,
                        webhook_id=hook.pk,
                        subject=m.subject,
                        level=m.level,
                        deadline_version=m.deadline_version,
                        extra=m.extra_key,
                    )
                    rows[key] = {"key": key, "recipient_id": None, "webhook_id": hook.pk, **common}
                    channels[key] = [hook.channel]
    if not rows:
        return 0
    ids = _insert_new(list(rows.values()))
    new = list(ids)
    bell.changed(rows[key]["recipient_id"] for key in new)
    needing = [key for key in new if channels[key]]
    if needing:
        deliveries = [
            Delivery(
                notification_id=ids[key],
                channel=channel,
                next_attempt_at=now,
                idempotency_key=f"{key}:{channel}",
            )
            for key in needing
            for channel in channels[key]
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=2000)
        delivery.send_after_commit(
            Delivery.objects.filter(
                idempotency_key__in=[d.idempotency_key for d in deliveries],
                state=Delivery.State.PENDING,
            ).values_list("pk", flat=True)
        )
    return len(new)


def _route_to_standins(messages: list[Message], now) -> None:
    """AB岗: a notice about a piece of work for someone on leave goes to the colleague who
    covers them instead (``grids.cover.to_standins``, one query for the whole batch); the
    actor is then left out. Messages about no subject (a digest) are the person's own."""
    about_work = [m for m in messages if m.subject is not None and m.recipients]
    people = {u.pk: u for m in about_work for u in m.recipients if u is not None}
    if not people:
        return
    found = standins(people, timezone.localdate(now))
    for m in about_work:
        routed: dict[int, object] = {}
        for user in m.recipients:
            if user is not None:
                target = found.get(user.pk, user)
                routed.setdefault(target.pk, target)
        m.recipients = [u for pk, u in routed.items() if pk != m.actor_id]


# Attribute names (a column may be named otherwise: Notification.subject_id's is ticket_id).
_COLUMNS = (
    ("key", "varchar"),
    ("recipient_id", "bigint"),
    ("webhook_id", "bigint"),
    ("subject_type_id", "integer"),
    ("subject_id", "bigint"),
    ("kind", "varchar"),
    ("level", "integer"),
    ("deadline_version", "integer"),
    ("urgent", "boolean"),
    ("params", "jsonb"),
    ("created_at", "timestamptz"),
)


def _insert_new(rows: list[dict]) -> dict[str, int]:
    """Insert the rows whose key is new; returns {key: id} of those (the others existed).

    On PostgreSQL one INSERT … SELECT FROM unnest() … ON CONFLICT DO NOTHING RETURNING: the
    sweep writes hundreds of thousands of rows after an outage, and building model instances
    for bulk_create cost more than the database's work. Elsewhere (SQLite on a laptop), the
    ORM in three statements.
    """
    if connection.vendor == "postgresql":
        names = ", ".join(Notification._meta.get_field(name).column for name, _ in _COLUMNS)
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in _COLUMNS)
        values = [
            [json.dumps(r["params"]) if name == "params" else r[name] for r in rows]
            for name, _ in _COLUMNS
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Notification._meta.db_table} ({names}) "  # noqa: S608 - fixed names
                f"SELECT * FROM unnest({arrays}) "
                "ON CONFLICT (key) DO NOTHING RETURNING key, id",
                values,
            )
            return dict(cursor.fetchall())
    keys = [r["key"] for r in rows]
    existing = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    Notification.objects.bulk_create(
        [Notification(**r) for r in rows if r["key"] not in existing],
        ignore_conflicts=True,
        batch_size=2000,
    )
    return dict(
        Notification.objects.filter(key__in=[k for k in keys if k not in existing]).values_list(
            "key", "pk"
        )
    )


def notify(
    *,
    kind: str,
    recipients: Iterable,
    subject: Subject | None = None,
    level: int = 0,
    deadline_version: int = 0,
    params: dict | None = None,
    urgent: bool | None = None,
    robots: bool = True,
    extra_key: str = "",
    now=None,
    actor=None,
) -> int:
    """Write one message to ``recipients``; returns how many notifications were new."""
    return notify_many(
        [
            Message(
                kind=kind,
                recipients=list(recipients),
                subject=subject,
                level=level,
                deadline_version=deadline_version,
                params=params or {},
                urgent=urgent,
                robots=robots,
                extra_key=extra_key,
                actor_id=getattr(actor, "pk", None),
            )
        ],
        now=now,
    )
