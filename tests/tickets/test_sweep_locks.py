"""The sweep holds a ticket's lock only while it works on that ticket: a batch of escalations
commits each one before the next, so a person acting on one waits for one escalation, not
for the batch. Real PostgreSQL locks, probed from a second connection."""

import datetime as dt
import threading
import zoneinfo

import pytest
import time_machine
from django.db import OperationalError, connections, transaction

from notifications.models import NoticeKind, Notification
from tests.waiting import join
from tickets import services, sweep
from tickets.models import Channel, Status, Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 11, 23, 9, tzinfo=SH)


def _row_is_free(pk: int) -> bool:
    """Whether another connection can lock the ticket's row right now (NOWAIT)."""
    outcome = {}

    def probe():
        try:
            with transaction.atomic(), connections["default"].cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM tickets_ticket WHERE id = %s FOR UPDATE NOWAIT", [pk]
                )
            outcome["free"] = True
        except OperationalError:
            outcome["free"] = False
        finally:
            connections.close_all()

    thread = threading.Thread(target=probe)
    thread.start()
    join([thread], what="the NOWAIT probe of the ticket's row")
    return outcome["free"]


def test_a_batch_of_escalations_commits_a_few_at_a_time_not_all_at_the_end(
    territory, matter, dispatcher, monkeypatch
):
    monkeypatch.setattr(sweep, "MOVING_CHUNK", 2, raising=False)
    with time_machine.travel(START, tick=False) as clock:
        tickets = [
            services.submit(
                channel=Channel.QR,
                matter=matter,
                description=f"第{i}件",
                reporter_phone="13812345678",
                grid=territory.grid,
            )
            for i in range(4)
        ]
        escalate = services.escalate_overdue
        seen: list[int] = []
        free: list[list[bool]] = []  # at each escalation: is each earlier one's row free?

        def watched(*, ticket):
            free.append([_row_is_free(pk) for pk in seen])
            seen.append(ticket.pk)
            return escalate(ticket=ticket)

        monkeypatch.setattr(services, "escalate_overdue", watched)
        clock.move_to(tickets[0].response_due + dt.timedelta(minutes=1))
        run = sweep.sweep()
        again = sweep.sweep()  # the same minute: nothing left, nothing written twice
    assert sorted(seen) == sorted(t.pk for t in tickets)
    # Two per transaction: the first two are committed (free) before the third starts.
    assert free == [[], [False], [True, True], [True, True, False]]
    assert (run.claimed, run.escalations) == (4, 4)
    for ticket in Ticket.objects.filter(pk__in=seen):
        assert (ticket.area.code, ticket.status, ticket.escalation_level) == (
            "C1",
            Status.ACCEPTED,
            1,
        )
    # Each request's overdue and escalation notices, once (the passed reminders are stale).
    assert Notification.objects.filter(kind=NoticeKind.ESCALATED).count() == 4
    assert Notification.objects.filter(kind=NoticeKind.OVERDUE).count() == 4
    assert not Notification.objects.filter(kind=NoticeKind.REMINDER).exists()
    assert again.claimed == 0
