"""Two secretaries assign the same request at the same moment: one wins, one is told."""

import threading

import pytest
from django.db import connections, transaction

from tests.factories import PostFactory, UserFactory
from tests.waiting import STALL_SECONDS, join
from tickets import services
from tickets.models import Event, Status, Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_assignments_at_once_one_wins_the_other_gets_a_clear_message(
    ticket, dispatcher, member_worker, territory
):
    from grids.roles import Role

    second_secretary = UserFactory(username="second_secretary")
    PostFactory(user=second_secretary, area=territory.community, role=Role.COMMUNITY_STAFF)
    other_member = UserFactory(username="other_member")
    PostFactory(user=other_member, area=territory.grid, role=Role.PART_TIME_WORKER)
    ticket = services.accept(by=dispatcher, ticket=ticket)
    seen_version = ticket.version
    barrier = threading.Barrier(2)
    outcome = {}

    def assign(name, by, to):
        try:
            barrier.wait(STALL_SECONDS)
            with transaction.atomic():
                services.assign(
                    by=by,
                    ticket=Ticket.objects.get(pk=ticket.pk),
                    assignee=to,
                    expected_version=seen_version,
                )
            outcome[name] = "assigned"
        except services.StaleTicket as error:
            outcome[name] = str(error.message)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=assign, args=("a", dispatcher, member_worker)),
        threading.Thread(target=assign, args=("b", second_secretary, other_member)),
    ]
    for thread in threads:
        thread.start()
    join(threads, what="both assignments to finish")
    assert list(outcome.values()).count("assigned") == 1
    loser = [v for v in outcome.values() if v != "assigned"]
    assert len(loser) == 1 and "Someone else has just acted" in loser[0]
    final = Ticket.objects.get(pk=ticket.pk)
    assert final.status == Status.ASSIGNED
    assert Event.objects.filter(ticket=final, action=Event.Action.ASSIGN).count() == 1
