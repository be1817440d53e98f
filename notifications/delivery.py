"""Sending deliveries: one attempt per task, quiet hours, back-off and the staff's retry.

``send_after_commit(ids)`` enqueues one Celery task per delivery after the transaction
commits; a broker outage must not fail the caller (the periodic delivery job catches up).

A row is put on the queue about once: whoever enqueues it (``send_after_commit`` or the
periodic ``send_due``) stamps ``enqueued_at``, and ``send_due`` passes over a row stamped less
than ``ENQUEUE_LEASE`` ago, so a backlog is not enqueued again every minute while its tasks
still wait. A task lost with the broker's data is made good once the stamp is a lease old.
``send_due`` claims its rows with ``FOR UPDATE SKIP LOCKED`` and stamps them before
enqueueing, so two runs at once never enqueue the same row, and it tops the queue up to
``limit`` rather than adding ``limit`` each run.

``deliver`` claims a row with a conditional UPDATE (as healthchecks' ``sendalerts`` does), so
two workers given the same id send it once. The claim is its own committed step: it marks the
row "sending" with the attempt and pushes ``next_attempt_at`` a lease ahead before the
channel is called. A row still "sending" when that lease has run out belonged to a worker
that died mid-send, and whether the message went out is unknown:

- email and SMS are tried again: they carry the delivery's idempotency key (the Message-ID,
  the SMS provider's key), so a provider that has it already drops the repeat;
- group robots (WeCom, DingTalk) drop nothing, so such a row becomes "unknown" with a log
  line and waits on the operations page for staff to send it again by hand (or not);
- callbacks to connected systems (tickets/callbacks.py) carry an ``Idempotency-Key`` header,
  so they are tried again like email.

What remains is the moment between the robot taking the message and the row being marked
sent: a worker killed there leaves an "unknown" row, never a repeated message.

Quiet hours are for people: a callback to a system goes out at night too (``MACHINES``).

``deliver_task`` is the Celery task of ``deliver``, kept here beside the function it runs so
that enqueueing needs no import of notifications/tasks.py (which imports this module). It
runs on its own queue (``DELIVERY_QUEUE``, settings.CELERY_TASK_ROUTES), so a backlog of
messages never delays the deadline sweep on the default queue.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.logs import carrying_request_id
from core.queue import depth
from notifications import channels
from notifications.models import Delivery, NoticeChannel

logger = logging.getLogger(__name__)

# Long enough for the slowest send (HTTP timeout, SMTP) to finish before anyone retries it.
LEASE = dt.timedelta(minutes=5)
# A queued task not run after this long is taken for lost (the broker's data went away).
ENQUEUE_LEASE = dt.timedelta(minutes=10)
MAX_BACKOFF = dt.timedelta(hours=6)
SKIPPED = "skipped"
# "sending" is due only once its lease ran out (next_attempt_at is the lease's end).
DUE_STATES = [Delivery.State.PENDING, Delivery.State.HELD, Delivery.State.SENDING]
# Channels whose receiver cannot drop a repeat: never resent blindly.
ROBOTS = [NoticeChannel.WECOM, NoticeChannel.DINGTALK]
# Channels to systems rather than people: never held for quiet hours.
MACHINES = [NoticeChannel.CALLBACK]
DELIVERY_QUEUE = "deliveries"
UNKNOWN_ERROR = "worker stopped while sending; the group may have received it"


def _due(now: dt.datetime):
    # The filter is the partial index ``delivery_due``'s condition, so it can serve it.
    return Delivery.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now)


def _enqueue(ids: list[int], *, stamp: dt.datetime) -> int:
    """Put one task per id on the broker; the rows were stamped ``stamp``. On a broker error
    the rest would fail too: their stamps are taken back so the next run enqueues them."""
    from governance.celery import app

    done = 0
    try:
        # One producer (one connection) for the whole batch, not one from the pool per task.
        with app.producer_or_acquire() as producer:
            for pk in ids:
                deliver_task.apply_async(args=[pk], retry=False, producer=producer)
                done += 1
    except Exception:  # any broker error: the caller stands, the periodic job heals
        logger.warning(
            "could not enqueue delivery %s and %s more; the periodic job will catch up",
            ids[done],
            len(ids) - done - 1,
            exc_info=True,
        )
        Delivery.objects.filter(pk__in=ids[done:], enqueued_at=stamp).update(enqueued_at=None)
    return done


def send_after_commit(delivery_ids: Iterable[int]) -> None:
    ids = list(delivery_ids)
    if not ids:
        return

    def send() -> None:
        stamp = timezone.now()
        Delivery.objects.filter(pk__in=ids).update(enqueued_at=stamp)
        _enqueue(ids, stamp=stamp)

    # The messages' tasks log under the id of the request that wrote them (core.logs).
    transaction.on_commit(carrying_request_id(send))


def quiet_until(now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours ``now`` falls in, or None outside them.

    Quiet hours are [QUIET_HOURS_START, QUIET_HOURS_END) local time and may wrap midnight;
    equal hours mean none at all.
    """
    start, end = settings.QUIET_HOURS_START % 24, settings.QUIET_HOURS_END % 24
    if start == end:
        return None
    local = timezone.localtime(now)
    hour = local.hour
    quiet = start <= hour < end if start < end else (hour >= start or hour < end)
    if not quiet:
        return None
    day = local.date() if hour < end else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(end)))


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: base, 2 × base, 4 × base … up to six hours."""
    seconds = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 20)
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> str:
    """Try to send one delivery once; returns its new state, or "skipped" when it is not this
    call's to send (already sent or failed, claimed by another worker, or not yet due).

    Channel failures never raise: they are logged and scheduled for a retry, or end in
    "failed" after NOTIFY_MAX_ATTEMPTS. Call it outside a transaction: the claim must be
    committed before the channel is called (see the module's docstring).
    """
    now = now or timezone.now()
    due = _due(now).filter(pk=delivery_id)
    delivery = due.select_related(
        "notification__recipient", "notification__webhook", "notification__subject_type"
    ).first()
    if delivery is None:
        return SKIPPED
    if delivery.state == Delivery.State.SENDING and delivery.channel in ROBOTS:
        changed = _unknown(due.filter(attempts=delivery.attempts))
        return Delivery.State.UNKNOWN.value if changed else SKIPPED
    if delivery.state == Delivery.State.SENDING:
        logger.warning(
            "delivery %s (%s) attempt %s: outcome unknown after the lease; sending again "
            "with the same idempotency key",
            delivery_id,
            delivery.channel,
            delivery.attempts,
        )
    quiet = not delivery.notification.urgent and delivery.channel not in MACHINES
    if quiet and (until := quiet_until(now)) is not None:
        # Not an attempt: nothing was tried, so the back-off and the attempt budget stay.
        held = due.update(state=Delivery.State.HELD, next_attempt_at=until, enqueued_at=None)
        return Delivery.State.HELD.value if held else SKIPPED
    # Matching the attempts read makes the count exact if another claim slipped in between.
    # The task is consumed: clearing the stamp lets send_due enqueue a retry once it is due.
    claimed = due.filter(attempts=delivery.attempts).update(
        state=Delivery.State.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + LEASE,
        enqueued_at=None,
    )
    if not claimed:
        return SKIPPED
    attempts = delivery.attempts + 1
    try:
        channels.send(delivery, idempotency_key=delivery.idempotency_key)
    except Exception as exc:  # a bug in one channel must not stop the others' deliveries
        permanent = getattr(exc, "permanent", False)
        give_up = permanent or attempts >= settings.NOTIFY_MAX_ATTEMPTS
        state = Delivery.State.FAILED if give_up else Delivery.State.PENDING
        error = (
            str(exc) if isinstance(exc, channels.ChannelError) else f"{type(exc).__name__}: {exc}"
        )
        logger.warning(
            "delivery %s (%s) attempt %s failed: %s; now %s",
            delivery_id,
            delivery.channel,
            attempts,
            error,
            state,
            exc_info=not isinstance(exc, channels.ChannelError),
        )
        # Only if the row is still ours: a staff retry in the meantime starts afresh.
        Delivery.objects.filter(
            pk=delivery_id, state=Delivery.State.SENDING, attempts=attempts
        ).update(
            state=state,
            next_attempt_at=now if give_up else now + backoff(attempts),
            last_error=(error or type(exc).__name__)[:500],
        )
        return str(state)
    # Sent is sent, even if the lease ran out and someone else claimed the row meanwhile.
    Delivery.objects.filter(pk=delivery_id).update(
        state=Delivery.State.SENT, sent_at=now, last_error=""
    )
    return Delivery.State.SENT.value


def _unknown(rows) -> int:
    """Mark robot rows whose send outlived its lease "unknown"; returns how many."""
    pks = list(rows.values_list("pk", flat=True))
    if not pks:
        return 0
    changed = rows.filter(pk__in=pks).update(
        state=Delivery.State.UNKNOWN, enqueued_at=None, last_error=UNKNOWN_ERROR
    )
    logger.warning(
        "deliveries %s: the worker stopped while sending to a group robot; not resent "
        "(a robot does not drop repeats): staff may send them again from the operations page",
        pks,
    )
    return changed


def settle_unknown(*, now: dt.datetime | None = None) -> int:
    """Robot deliveries still "sending" after their lease: "unknown" (see the docstring)."""
    now = now or timezone.now()
    rows = Delivery.objects.filter(
        state=Delivery.State.SENDING, next_attempt_at__lte=now, channel__in=ROBOTS
    )
    return _unknown(rows)


@shared_task(ignore_result=True)
def deliver_task(delivery_id: int) -> None:
    """Send one delivery; takes an id, re-checks its state, safe to run twice."""
    deliver(delivery_id)


def send_due(*, now: dt.datetime | None = None, limit: int = 2000) -> int:
    """Enqueue the deliveries that are due (held until morning, backing off, never enqueued
    because the broker was down, or whose task was lost) and not already waiting in the
    queue; returns how many were enqueued. The queue is topped up to ``limit`` messages."""
    now = now or timezone.now()
    settle_unknown(now=now)
    room = limit - (queued() or 0)
    if room <= 0:
        return 0
    lease_over = Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - ENQUEUE_LEASE)
    with transaction.atomic():
        # SKIP LOCKED: a second run at once takes other rows, or none, never these.
        ids = list(
            _due(now)
            .filter(lease_over)
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:room]
        )
        Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
    return _enqueue(ids, stamp=now)


def queued() -> int | None:
    """Messages waiting in the deliveries queue (None when the broker does not answer)."""
    from governance.celery import app

    if app.conf.task_always_eager:
        return 0
    return depth(DELIVERY_QUEUE)


def send_due_inline(*, now: dt.datetime | None = None, limit: int = 2000) -> dict[str, int]:
    """Send every due delivery in this process, without a worker (``send_due_deliveries
    --inline``); returns how many ended in each state."""
    now = now or timezone.now()
    settle_unknown(now=now)
    due = _due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    states: dict[str, int] = {}
    for pk in list(due):
        state = deliver(pk, now=now)
        states[state] = states.get(state, 0) + 1
    return states


@transaction.atomic
def retry(*, delivery_id: int) -> Delivery:
    """Staff: send a failed, unknown (or stuck) delivery again, with a fresh attempt budget."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.state == Delivery.State.SENT:
        raise ValidationError(_("This message has already been sent."), code="already_sent")
    if delivery.state == Delivery.State.SENDING and delivery.next_attempt_at > timezone.now():
        # A worker holds it now: sending it again too could post it twice.
        raise ValidationError(
            _("This message is being sent right now; look again in a few minutes."),
            code="sending",
        )
    delivery.state = Delivery.State.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["state", "attempts", "next_attempt_at", "last_error"])
    logger.info("delivery %s sent again by staff", delivery.pk)
    send_after_commit([delivery.pk])
    return delivery


def counts() -> dict[str, int]:
    """Deliveries per state, every state present (one query)."""
    return Delivery.objects.aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in Delivery.State.values}
    )


def backlog(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """What an operator watches: deliveries due now (held ones only once their morning came),
    how long the oldest has waited, those in flight and those waiting for staff."""
    now = now or timezone.now()
    due = _due(now).aggregate(n=Count("pk"), oldest=Min("next_attempt_at"))
    figures = Delivery.objects.aggregate(
        sending=Count("pk", filter=Q(state=Delivery.State.SENDING, next_attempt_at__gt=now)),
        unknown=Count("pk", filter=Q(state=Delivery.State.UNKNOWN)),
    )
    oldest = due["oldest"]
    return {
        "due": due["n"],
        "oldest_due_at": oldest,
        "oldest_due_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        **figures,
    }
