"""The visits page is kept per worker, address and version of their grids' register
(visits.page_cache): a logged visit, a patrolled place or a household added shows at once;
the panel of the worker's requests is kept with it under their requests' version, so a
request handed to them shows at once too; one worker's page is never another's."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids import list_cache
from tests.conftest import sql_of
from tests.factories import HouseholdFactory
from tickets.models import Status, Ticket
from visits import services
from visits.models import VisitKind

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def _page(client, query: str = "") -> str:
    response = client.get(reverse("my_visits") + query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_warm_page_reads_its_versions_only(shared_cache, territory, client, own_worker):
    for n in range(30):
        HouseholdFactory(grid=territory.grid, address=f"幸福花园{n}幢")
    client.force_login(own_worker)
    first = _page(client, "?view=all")
    with CaptureQueriesContext(connection) as ctx:
        again = _page(client, "?view=all")
    # The register's version, and the requests panel's (how many, their ids and versions).
    queries = [sql_of(q) for q in ctx.captured_queries]
    tables = sorted(sql.split(" FROM ")[1].split()[0] for sql in queries)
    assert tables == ['"grids_registermark"', '"tickets_ticket"'], tables
    assert all("COUNT(" in sql for sql in queries)
    assert "幸福花园0幢" in again and again.count('href="/visits/household/') == 30
    assert first.split("<main")[1].split("</main>")[0].count("幸福花园") == 30


def test_a_logged_visit_shows_at_once_but_leaves_the_household_lists_kept(
    shared_cache, territory, client, own_worker
):
    household = HouseholdFactory(grid=territory.grid, address="幸福花园1幢0101室")
    client.force_login(own_worker)
    assert "never visited" in _page(client, "?view=all")
    lists = list_cache.version(territory.district)
    services.log_visit(
        by=own_worker, client_id=uuid.uuid4(), kind=VisitKind.ROUTINE, household=household
    )
    page = _page(client, "?view=all")
    assert "never visited" not in page and "last visited" in page
    assert list_cache.version(territory.district) == lists


def test_a_patrolled_place_shows_at_once(shared_cache, territory, client, own_worker):
    place = services.create_place(by=own_worker, grid=territory.grid, name="幸福桥", kind="public")
    client.force_login(own_worker)
    assert "幸福桥" in _page(client) and "last patrolled" not in _page(client)
    services.log_visit(by=own_worker, client_id=uuid.uuid4(), kind=VisitKind.PATROL, place=place)
    assert "last patrolled" in _page(client)


def test_the_panel_of_the_workers_requests_follows_their_requests(
    shared_cache, territory, client, own_worker, ticket
):
    client.force_login(own_worker)
    assert ticket.short_code not in _page(client)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=own_worker, status=Status.ASSIGNED)
    assert ticket.short_code in _page(client)


def test_one_workers_page_is_never_anothers(
    shared_cache, territory, client, own_worker, neighbour_worker
):
    HouseholdFactory(grid=territory.grid, address="第一网格1号")
    HouseholdFactory(grid=territory.neighbour_grid, address="第二网格1号")
    client.force_login(own_worker)
    assert "第一网格1号" in _page(client, "?view=all")
    client.force_login(neighbour_worker)
    page = _page(client, "?view=all")
    assert "第二网格1号" in page and "第一网格1号" not in page
