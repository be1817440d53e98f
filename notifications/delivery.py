"""Sending deliveries: one attempt per task, quiet hours, back-off and the staff's retry.

``send_after_commit(ids)`` enqueues one Celery task per delivery after the transaction
commits; a broker outage must not fail the caller (the periodic delivery job catches up).

``deliver`` claims a row with a conditional UPDATE (as healthchecks' ``sendalerts`` does), so
two workers given the same id — a duplicated task, or ``send_due`` re-enqueueing a row whose
task is still queued — send it once. The claim pushes ``next_attempt_at`` a lease ahead: a
worker killed mid-send leaves the row to be tried again when the lease runs out.

``deliver_task`` is the Celery task of ``deliver``, kept here beside the function it runs so
that enqueueing needs no import of notifications/tasks.py (which imports this module).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.queue import enqueue_on_commit
from notifications import channels
from notifications.models import Delivery

logger = logging.getLogger(__name__)

# Long enough for the slowest send (HTTP timeout, SMTP) to finish before anyone retries it.
LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=6)
SKIPPED = "skipped"
DUE_STATES = [Delivery.State.PENDING, Delivery.State.HELD]


def send_after_commit(delivery_ids: Iterable[int]) -> None:
    for pk in list(delivery_ids):
        enqueue_on_commit(deliver_task, pk)


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
    "failed" after NOTIFY_MAX_ATTEMPTS.
    """
    now = now or timezone.now()
    due = Delivery.objects.filter(pk=delivery_id, state__in=DUE_STATES, next_attempt_at__lte=now)
    delivery = due.select_related("notification__recipient", "notification__webhook").first()
    if delivery is None:
        return SKIPPED
    if not delivery.notification.urgent and (until := quiet_until(now)) is not None:
        # Not an attempt: nothing was tried, so the back-off and the attempt budget stay.
        held = due.update(state=Delivery.State.HELD, next_attempt_at=until)
        return Delivery.State.HELD.value if held else SKIPPED
    # Matching the attempts read makes the count exact if another claim slipped in between.
    claimed = due.filter(attempts=delivery.attempts).update(
        state=Delivery.State.PENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE
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
            pk=delivery_id, state=Delivery.State.PENDING, attempts=attempts
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


@shared_task(ignore_result=True)
def deliver_task(delivery_id: int) -> None:
    """Send one delivery; takes an id, re-checks its state, safe to run twice."""
    deliver(delivery_id)


def send_due(*, now: dt.datetime | None = None, limit: int = 2000) -> int:
    """Enqueue every delivery that is due (held until morning, backing off, or never enqueued
    because the broker was down); returns how many were enqueued."""
    now = now or timezone.now()
    # The filter is the partial index ``delivery_due``'s condition, so it can serve it.
    due = (
        Delivery.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueued = 0
    for pk in list(due):
        try:
            deliver_task.apply_async(args=[pk], retry=False)
        except Exception:  # the broker is down: the rest would fail too; the next run catches up
            logger.warning("could not enqueue delivery %s; stopping this run", pk, exc_info=True)
            break
        enqueued += 1
    return enqueued


def send_due_inline(*, now: dt.datetime | None = None, limit: int = 2000) -> dict[str, int]:
    """Send every due delivery in this process, without a worker (``send_due_deliveries
    --inline``); returns how many ended in each state."""
    now = now or timezone.now()
    due = (
        Delivery.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    states: dict[str, int] = {}
    for pk in list(due):
        state = deliver(pk, now=now)
        states[state] = states.get(state, 0) + 1
    return states


@transaction.atomic
def retry(*, delivery_id: int) -> Delivery:
    """Staff: send a failed (or stuck) delivery again, with a fresh attempt budget."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.state == Delivery.State.SENT:
        raise ValidationError(_("This message has already been sent."), code="already_sent")
    delivery.state = Delivery.State.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["state", "attempts", "next_attempt_at", "last_error"])
    send_after_commit([delivery.pk])
    return delivery


def counts() -> dict[str, int]:
    """Deliveries per state, every state present (one query)."""
    return Delivery.objects.aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in Delivery.State.values}
    )
