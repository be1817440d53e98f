"""A level that took a request (报到 after 吹哨) hands it back down to anyone at or below it,
with a new completion deadline from the catalogue counted from the acknowledgement."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tickets import services
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


def _escalated_long_ago(ticket, dispatcher):
    """Accepted in the grid, escalated to the community, its grid deadline long passed."""
    ticket = services.accept(by=dispatcher, ticket=ticket)
    ticket = services.escalate(by=None, ticket=ticket, reason="超期")
    Ticket.objects.filter(pk=ticket.pk).update(completion_due=timezone.now() - dt.timedelta(days=2))
    ticket.refresh_from_db()
    return ticket


def test_community_acknowledges_escalated_request_and_assigns_a_grid_worker(
    ticket, dispatcher, community_officer, own_worker, territory
):
    ticket = _escalated_long_ago(ticket, dispatcher)
    assert ticket.area == territory.community
    assert services.assignable_people(community_officer, ticket).filter(pk=own_worker.pk).exists()

    ticket = services.acknowledge(by=community_officer, ticket=ticket)
    ticket = services.assign(by=community_officer, ticket=ticket, assignee=own_worker)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, own_worker)
    assert ticket.completion_due > timezone.now()
    catalogue_due = services.due(
        ticket.acknowledged_at, ticket.matter.completion_limit, ticket.matter.completion_unit
    )
    assert ticket.completion_due == catalogue_due
    assert ticket.next_check_at > ticket.acknowledged_at


def test_assign_outside_the_level_holding_the_request_is_refused(
    ticket, dispatcher, street_officer, territory
):
    from tests.conftest import _person

    g3_worker = _person("g3_worker", "grid_worker", territory.far_grid)
    ticket = services.accept(by=dispatcher, ticket=ticket)
    for outsider in (g3_worker, street_officer):
        assert not services.assignable_people(dispatcher, ticket).filter(pk=outsider.pk).exists()
        with pytest.raises(ValidationError):
            services.assign(by=dispatcher, ticket=ticket, assignee=outsider)
    ticket.refresh_from_db()
    assert ticket.status == Status.ACCEPTED
