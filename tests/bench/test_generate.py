"""bench/generate.py makes requests that look like the product's: the consistency check
finds nothing on them, and the deadline sweep acts on them as on real ones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bench.generate import check, generate
from grids.models import Area
from grids.roles import Level, Role
from tests.factories import HouseholdFactory, PostFactory, UserFactory
from tickets.models import Event, Status, Ticket
from tickets.sweep import sweep
from tickets.timeline import AUTO_CLOSE_DAYS
from visits.models import Visit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def district(territory, own_worker, community_officer, matter):
    """Workers in every grid, officers in every community, a few households (and the
    catalogue of matters, ``matter``)."""
    for n, grid in enumerate(
        [territory.neighbour_grid, territory.far_grid, territory.other_street_grid]
    ):
        PostFactory(user=UserFactory(username=f"worker{n}"), area=grid, role=Role.GRID_WORKER)
    for n, community in enumerate(
        Area.objects.filter(level=Level.COMMUNITY).exclude(pk=territory.community.pk)
    ):
        PostFactory(
            user=UserFactory(username=f"officer{n}"), area=community, role=Role.COMMUNITY_STAFF
        )
    for grid in (territory.grid, territory.neighbour_grid):
        HouseholdFactory.create_batch(3, grid=grid)
    return territory


def _quiet(_line: str) -> None:
    pass


def test_generated_requests_pass_the_consistency_check(district):
    since = generate(tickets=400, visits=40, days=90, report=_quiet)

    made = Ticket.objects.filter(pk__gt=since)
    assert made.count() == 400
    assert set(made.values_list("status", flat=True)) >= {
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CLOSED,
    }
    assert Visit.objects.exists()
    assert not made.filter(status=Status.RESOLVED, next_check_at__isnull=True).exists()
    assert not any(check(since=since, report=None).values())
    # The whole database too: the territory's rows and the generated ones.
    assert not any(check(report=None).values())


def test_the_sweep_closes_generated_requests_past_their_review_period(district):
    # Enough requests that some were resolved within the review period: with 400, about five
    # were, and once in a while none (a CI run failed so).
    since = generate(tickets=1_200, visits=0, days=90, rollups=False, report=_quiet)
    now = timezone.now()
    made = Ticket.objects.filter(pk__gt=since)
    lapsed = set(
        made.filter(
            status=Status.RESOLVED, resolved_at__lte=now - dt.timedelta(days=AUTO_CLOSE_DAYS)
        ).values_list("pk", flat=True)
    )
    waiting = set(
        made.filter(
            status=Status.RESOLVED, resolved_at__gt=now - dt.timedelta(days=AUTO_CLOSE_DAYS)
        ).values_list("pk", flat=True)
    )
    assert lapsed and waiting
    due = made.filter(next_check_at__lte=now).count()
    assert due

    run = sweep(now=now, budget_seconds=120)

    assert run.claimed >= due
    assert run.closed == len(lapsed)
    assert (
        set(
            made.filter(pk__in=lapsed, status=Status.CLOSED, auto_closed=True).values_list(
                "pk", flat=True
            )
        )
        == lapsed
    )
    assert Event.objects.filter(ticket_id__in=lapsed, action="close").count() == len(lapsed)
    # Still waiting for their review, each due at the end of its period.
    for ticket in made.filter(pk__in=waiting):
        assert ticket.status == Status.RESOLVED
        assert ticket.next_check_at == ticket.resolved_at + dt.timedelta(days=AUTO_CLOSE_DAYS)
    # Overdue requests at a grid went up the ladder.
    assert run.escalations
    # What the sweep left is as consistent as what it found.
    assert not any(check(since=since, report=None).values())
