"""A request's page is kept per version of what it shows and per viewer (tickets.page_cache):
warm it is one query that says it is still current and the viewer's; every change the page
shows moves its version, whoever writes it and however (services, raw updates, a worker
processing a photo, a joint action); nothing is handed from one viewer to another, and the
viewer's access is checked on every request, kept page or not."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids import services as grids_services
from grids.models import Post
from grids.roles import Role
from tests.conftest import sql_of
from tests.factories import PostFactory
from tests.tickets.fixtures import reported
from tickets import services
from tickets.models import Event, Photo, Summons, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Anywhere a response puts its token: the forms and the header htmx sends.
ANY_TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


def _url(ticket) -> str:
    return reverse("ticket_detail", kwargs={"code": ticket.short_code})


def _page(client, ticket) -> str:
    response = client.get(_url(ticket))
    assert response.status_code == 200
    return response.content.decode()


def _note(ticket, text: str) -> None:
    """A line on the timeline written directly, around the services."""
    Event.objects.create(
        ticket=ticket,
        at=timezone.now(),
        action=Event.Action.NOTE,
        from_status=ticket.status,
        to_status=ticket.status,
        note=text,
    )


def _version(ticket) -> int:
    return Ticket.objects.values_list("page_version", flat=True).get(pk=ticket.pk)


def test_a_warm_page_is_one_query_that_it_is_current_and_the_viewers(
    client, shared_cache, territory, matter, dispatcher
):
    ticket = reported(territory, matter, description="楼道灯坏了")[0]
    client.force_login(dispatcher)
    first = _page(client, ticket)
    with CaptureQueriesContext(connection) as ctx:
        again = _page(client, ticket)
    assert len(ctx.captured_queries) == 1
    assert ' FROM "tickets_ticket"' in sql_of(ctx.captured_queries[0])
    assert sql_of(ctx.captured_queries[0]).startswith("SELECT ")
    assert "楼道灯坏了" in again and 'name="assignee"' in again
    assert '<ol class="breadcrumb' in again and f"<title>{ticket.short_code} · " in again
    # The same page, but for the token each response signs its forms with.
    assert ANY_TOKEN.sub("", first) == ANY_TOKEN.sub("", again)


def test_a_transition_shows_on_the_next_page(client, shared_cache, territory, matter, dispatcher):
    ticket = reported(territory, matter)[0]
    client.force_login(dispatcher)
    assert "Accept and assign" in _page(client, ticket)
    services.accept(by=dispatcher, ticket=ticket, note="已受理，今天派人")
    page = _page(client, ticket)
    assert "已受理，今天派人" in page and "Accept and assign" not in page


def test_a_timeline_note_written_around_the_services_shows(
    client, shared_cache, territory, matter, dispatcher
):
    """A note moves no status and no ``version``; the trigger on events moves the page's."""
    ticket = reported(territory, matter)[0]
    client.force_login(dispatcher)
    _page(client, ticket)
    _note(ticket, "物业已到场查看")
    assert "物业已到场查看" in _page(client, ticket)


def test_a_photo_the_worker_processes_is_then_shown(
    client, shared_cache, ticket_with_photo, photo, dispatcher
):
    ticket = ticket_with_photo
    Photo.objects.filter(pk=photo.pk).update(processed=False)
    client.force_login(dispatcher)
    served = reverse("ticket_photo", kwargs={"pk": photo.pk})
    assert served not in _page(client, ticket)
    Photo.objects.filter(pk=photo.pk).update(processed=True)  # as tickets.photos.process does
    assert served in _page(client, ticket)


def test_summonses_and_joint_actions_move_the_page(
    client, shared_cache, territory, matter, street_officer, joint_action
):
    ticket = joint_action.tickets.get()
    from tickets.models import Department

    police = Department.objects.order_by("code").first()
    client.force_login(street_officer)
    before = _version(ticket)
    _page(client, ticket)
    services.summon(by=street_officer, ticket=ticket, lead=police, co=[], reason="群租房隐患")
    assert _version(ticket) > before
    assert "群租房隐患" in _page(client, ticket)
    summons = Summons.objects.get(ticket=ticket)
    before = _version(ticket)
    Summons.objects.filter(pk=summons.pk).update(version=F("version") + 1)
    assert _version(ticket) > before
    before = _version(ticket)
    joint_action.tickets.remove(ticket)
    assert _version(ticket) > before
    assert reverse("joint_action_detail", kwargs={"pk": joint_action.pk}) not in _page(
        client, ticket
    )


def test_the_sweeps_bookkeeping_leaves_the_kept_page_alone(territory, matter):
    ticket = reported(territory, matter)[0]
    before = _version(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(
        next_check_at=timezone.now(), checked_until=timezone.now()
    )
    assert _version(ticket) == before
    Ticket.objects.filter(pk=ticket.pk).update(description="电梯停运三天")
    assert _version(ticket) == before + 1


def test_a_save_from_an_older_copy_never_takes_the_version_back(territory, matter):
    ticket = reported(territory, matter)[0]
    stale = Ticket.objects.get(pk=ticket.pk)
    for note in ("一", "二", "三"):
        _note(ticket, note)
    moved = _version(ticket)
    stale.address = "幸福花园3幢"
    stale.save()
    assert _version(ticket) > moved


def test_each_viewer_gets_their_own_page_and_token(
    shared_cache, territory, matter, dispatcher, own_worker
):
    ticket = reported(territory, matter)[0]
    officer, worker = Client(), Client()
    officer.force_login(dispatcher)
    worker.force_login(own_worker)
    assert 'name="assignee"' in _page(officer, ticket)
    worker_page = _page(worker, ticket)
    assert 'name="assignee"' not in worker_page
    tokens = {
        TOKEN.search(_page(officer, ticket)).group(1),
        TOKEN.search(_page(officer, ticket)).group(1),
    }
    assert not any("csrfTokenOfTheViewer" in t for t in tokens)
    # A kept page is the viewer's own until the request moves; then theirs at the new version.
    services.accept(by=dispatcher, ticket=ticket)
    assert "Assign to" in _page(officer, ticket)


def test_a_request_moved_out_of_the_viewers_grid_is_gone_though_its_page_was_kept(
    client, shared_cache, territory, matter, own_worker
):
    ticket = reported(territory, matter)[0]
    client.force_login(own_worker)
    _page(client, ticket)
    Ticket.objects.filter(pk=ticket.pk).update(area=territory.far_grid)
    assert client.get(_url(ticket)).status_code == 404


def test_a_viewer_moved_to_another_grid_no_longer_sees_a_page_kept_for_them(
    client, shared_cache, territory, matter, own_worker, community_officer
):
    ticket = reported(territory, matter)[0]
    PostFactory(user=own_worker, area=territory.far_grid, role=Role.GRID_WORKER)
    client.force_login(own_worker)
    _page(client, ticket)
    _page(client, ticket)  # kept, and its check compiled for this viewer's areas
    grids_services.end_post(
        by=community_officer, post=Post.objects.get(user=own_worker, area=territory.grid)
    )
    assert client.get(_url(ticket)).status_code == 404
