"""My tasks is kept per viewer and version of its four lists (tickets.tasks_cache): warm it is
one small query; a request handed to the viewer, taken by a colleague, changed around the
services or summoning the viewer's department shows on the next page; its forms carry the
viewer's own CSRF token; one viewer's page is never another's."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids.roles import Role
from tests.conftest import sql_of
from tests.factories import PostFactory, UserFactory
from tests.tickets.fixtures import reported
from tickets import services
from tickets.models import Department, Status, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Anywhere a response puts its token: the forms and the header htmx sends.
ANY_TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


def _page(client) -> str:
    response = client.get(reverse("my_tasks"))
    assert response.status_code == 200
    return response.content.decode()


def _in_pool(dispatcher, ticket):
    return services.accept(by=dispatcher, ticket=ticket)


def test_a_warm_page_is_its_versions_only(
    shared_cache, territory, matter, dispatcher, member_worker, client
):
    for ticket in reported(territory, matter, n=3):
        services.assign(
            by=dispatcher,
            ticket=services.accept(by=dispatcher, ticket=ticket),
            assignee=member_worker,
        )
    client.force_login(member_worker)
    first = _page(client)
    with CaptureQueriesContext(connection) as ctx:
        again = _page(client)
    # One query, built once per viewer and scope: the departments and every list's version.
    [query] = ctx.captured_queries
    for table in ("tickets_department_members", "tickets_ticket", "tickets_boardtally"):
        assert f'FROM "{table}"' in sql_of(query)
    assert ANY_TOKEN.sub("", first) == ANY_TOKEN.sub("", again)


def test_joining_a_department_shows_its_parts_at_once(
    shared_cache, territory, matter, street_officer, client
):
    officer = UserFactory(username="police_officer")
    police, _created = Department.objects.update_or_create(
        code="police", defaults={"name_en": "Police", "name_zh": "派出所", "active": True}
    )
    ticket = reported(territory, matter)[0]
    services.summon(by=street_officer, ticket=ticket, lead=police, reason="群租房隐患，需联合处置")
    client.force_login(officer)
    assert ticket.short_code not in _page(client)
    police.members.set([officer])  # no request's version moves
    assert ticket.short_code in _page(client)


def test_a_request_handed_to_the_viewer_or_taken_from_the_pool_shows_at_once(
    shared_cache, territory, matter, dispatcher, member_worker, client
):
    first, second = reported(territory, matter, n=2)
    client.force_login(member_worker)
    assert first.short_code not in _page(client)
    _in_pool(dispatcher, first)
    assert first.short_code in _page(client)  # in the pool now
    services.assign(by=dispatcher, ticket=Ticket.objects.get(pk=first.pk), assignee=member_worker)
    page = _page(client)
    assert first.short_code in page.split("Open requests you can take")[0]

    colleague = UserFactory(username="colleague_g1")
    PostFactory(user=colleague, area=territory.grid, role=Role.PART_TIME_WORKER)
    second = _in_pool(dispatcher, second)
    assert second.short_code in _page(client)
    services.claim(by=colleague, ticket=second)
    assert second.short_code not in _page(client)


def test_a_change_around_the_services_shows_too(
    shared_cache, territory, matter, dispatcher, member_worker, client
):
    ticket = reported(territory, matter, description="楼道灯坏了")[0]
    services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=ticket),
        assignee=member_worker,
    )
    client.force_login(member_worker)
    assert "楼道灯坏了" in _page(client)
    Ticket.objects.filter(pk=ticket.pk).update(description="楼道灯已修好一半")
    assert "楼道灯已修好一半" in _page(client)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.RESOLVED)
    assert ticket.short_code not in _page(client)


def test_a_summons_of_the_viewers_department_shows_at_once(
    shared_cache, territory, matter, street_officer, client
):
    officer = UserFactory(username="police_officer")
    police, _created = Department.objects.update_or_create(
        code="police", defaults={"name_en": "Police", "name_zh": "派出所", "active": True}
    )
    police.members.set([officer])
    ticket = reported(territory, matter)[0]
    client.force_login(officer)
    assert ticket.short_code not in _page(client)
    services.summon(by=street_officer, ticket=ticket, lead=police, reason="群租房隐患，需联合处置")
    assert ticket.short_code in _page(client)


def test_the_forms_of_a_kept_page_carry_the_viewers_own_token(
    shared_cache, territory, matter, dispatcher, member_worker
):
    ticket = _in_pool(dispatcher, reported(territory, matter)[0])
    client = Client(enforce_csrf_checks=True)
    client.force_login(member_worker)
    _page(client)
    page = _page(client)  # kept
    token = TOKEN.search(page.split("Open requests you can take")[1]).group(1)
    response = client.post(
        reverse("ticket_act", kwargs={"code": ticket.short_code, "action": "claim"}),
        {"csrfmiddlewaretoken": token, "version": ticket.version},
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).assignee == member_worker


def test_one_viewers_page_is_never_anothers(
    shared_cache, territory, matter, dispatcher, member_worker, client
):
    ticket = reported(territory, matter)[0]
    services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=ticket),
        assignee=member_worker,
    )
    other = UserFactory(username="member_g2")
    PostFactory(user=other, area=territory.neighbour_grid, role=Role.PART_TIME_WORKER)
    client.force_login(member_worker)
    assert ticket.short_code in _page(client)
    client.force_login(other)
    assert ticket.short_code not in _page(client)
