"""The dispatch board's body is kept per version of its scope's requests (tickets.board_cache):
warm it is one query, and no change any writer makes (services, raw updates, the fold, the
clock) is hidden behind a kept body, nor is anyone's CSRF token handed to another."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids.roles import Role
from tests.conftest import sql_of
from tests.factories import PostFactory, UserFactory
from tests.tickets.fixtures import reported
from tickets import board_tallies, selectors, services
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

NEW = reverse("ticket_board") + "?view=new"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _warm(client, url):
    """The page asked twice: the second answer and the statements it ran."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    return page, [sql_of(q) for q in ctx.captured_queries]


def test_a_warm_board_reads_only_the_tallies(client, shared_cache, territory, matter, dispatcher):
    ticket = reported(territory, matter)[0]
    client.force_login(dispatcher)
    page, queries = _warm(client, NEW)
    assert ticket.short_code in page
    assert not any("tickets_ticket" in sql for sql in queries)
    assert len([sql for sql in queries if "tickets_boardtally" in sql]) == 1


def test_a_transition_shows_on_the_next_board(client, shared_cache, territory, matter, dispatcher):
    ticket = reported(territory, matter)[0]
    client.force_login(dispatcher)
    _warm(client, NEW)
    services.accept(by=dispatcher, ticket=ticket)
    assert ticket.short_code not in client.get(NEW).content.decode()
    assert ticket.short_code in client.get(NEW.replace("new", "unassigned")).content.decode()


def test_a_change_that_moves_no_request_between_tabs_shows_on_the_next_board(
    client, shared_cache, territory, matter, dispatcher
):
    """It still moves the version (the trigger's row of zeros), even written around the
    services (as an import would, bumping the request's version as the services do)."""
    ticket = reported(territory, matter)[0]
    client.force_login(dispatcher)
    _warm(client, NEW)
    Ticket.objects.filter(pk=ticket.pk).update(description="电梯停运三天", version=F("version") + 1)
    assert "电梯停运三天" in client.get(NEW).content.decode()


def test_the_sweeps_bookkeeping_leaves_the_kept_board_alone(
    client, shared_cache, territory, matter, dispatcher
):
    ticket = reported(territory, matter)[0]
    _kept, before = selectors.kept_counts(dispatcher)
    Ticket.objects.filter(pk=ticket.pk).update(next_check_at=timezone.now())
    assert selectors.kept_counts(dispatcher)[1] == before


def test_the_version_only_moves_forward_through_folds_and_recounts(territory, matter, dispatcher):
    """A request's whole life, folded and recounted between its steps: every state of the
    scope gets a version it never had before, even once the request is closed and its tally
    rows sum to nothing."""
    worker = UserFactory()
    PostFactory(user=worker, area=territory.grid, role=Role.GRID_WORKER)
    seen = [selectors.kept_counts(dispatcher)[1]]

    def step():
        seen.append(selectors.kept_counts(dispatcher)[1])
        board_tallies.fold()
        seen.append(selectors.kept_counts(dispatcher)[1])

    ticket = reported(territory, matter)[0]
    step()
    ticket = services.accept(by=dispatcher, ticket=ticket)
    step()
    ticket = services.assign(by=dispatcher, ticket=ticket, assignee=worker)
    step()
    Ticket.objects.filter(pk=ticket.pk).delete()
    step()
    board_tallies.refresh_board_tallies()
    seen.append(selectors.kept_counts(dispatcher)[1])
    newest = [version[1] for version in seen]
    assert newest == sorted(newest)
    # A fold with nothing to fold (one row) keeps the version; nothing else ever repeats one.
    for i, version in enumerate(seen):
        assert version not in seen[: max(i - 1, 0)]
    assert len(set(seen)) >= 8


def test_each_viewer_gets_their_own_csrf_token_in_a_kept_board(
    shared_cache, territory, matter, dispatcher, member_worker
):
    """Two dispatchers of one community share the kept body; each posts with their own token."""
    colleague = UserFactory()
    PostFactory(user=colleague, area=territory.community, role=Role.COMMUNITY_STAFF)
    ticket = services.accept(by=dispatcher, ticket=reported(territory, matter)[0])
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(dispatcher)
    second.force_login(colleague)
    url = NEW.replace("new", "unassigned")
    mine = TOKEN.findall(first.get(url).content.decode())
    with CaptureQueriesContext(connection) as ctx:
        theirs = TOKEN.findall(second.get(url).content.decode())
    assert not any("tickets_ticket" in q["sql"] for q in ctx.captured_queries)  # the kept body
    assert mine and theirs and not set(mine) & set(theirs)
    response = second.post(
        reverse("ticket_bulk_assign"),
        {
            "csrfmiddlewaretoken": theirs[0],
            "codes": [ticket.short_code],
            "assignee": member_worker.pk,
            "version": 0,
            "next": url,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == member_worker


def test_a_kept_board_is_rendered_again_when_a_request_falls_overdue(
    client, shared_cache, territory, matter, dispatcher
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = reported(territory, matter)[0]
        client.force_login(dispatcher)
        page, _queries = _warm(client, NEW)
        assert 'text-bg-warning">Overdue<' not in page
    with time_machine.travel(ticket.response_due + dt.timedelta(minutes=1), tick=False):
        client.force_login(dispatcher)
        assert 'text-bg-warning">Overdue<' in client.get(NEW).content.decode()
