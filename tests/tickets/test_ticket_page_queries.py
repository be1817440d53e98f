"""The request's page at district scale: a constant, small number of queries however long
its timeline, however many photos and summoned departments, counted with nothing cached
(the first request after a cache clear: the session, the user and their posts read too)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory, jpeg
from tests.tickets.fixtures import reported
from tickets import services
from tickets.models import Department, Event, Photo, Status

pytestmark = pytest.mark.django_db

COLD_QUERIES = 8


def _department(code: str, name: str, *members) -> Department:
    department, _created = Department.objects.update_or_create(
        code=code, defaults={"name_en": code.title(), "name_zh": name, "active": True}
    )
    department.members.set(members)
    return department


@pytest.fixture
def police():
    return UserFactory(username="police_officer")


@pytest.fixture
def housing():
    return UserFactory(username="housing_officer")


@pytest.fixture
def summoned(territory, matter, street_officer, police, housing):
    """A request the street summoned three departments on: police leads, housing and the
    market supervision office co-handle."""
    ticket = reported(territory, matter)[0]
    lead = _department("police", "派出所", police)
    co = [_department("housing", "住建局", housing), _department("market", "市场监管所")]
    services.summon(by=street_officer, ticket=ticket, lead=lead, co=co, reason="群租房隐患")
    ticket.refresh_from_db()
    return ticket


def _grow(ticket, events: int) -> None:
    """``events`` more lines on the timeline, each with a photo (written directly: only
    their number matters here)."""
    last = ticket.events.order_by("-at").first()
    for _ in range(events):
        event = Event.objects.create(
            ticket=ticket,
            at=last.at,
            action=Event.Action.NOTE,
            from_status=ticket.status,
            to_status=ticket.status,
            note="现场核实",
            public=False,
        )
        Photo.objects.create(ticket=ticket, event=event, kind=Photo.Kind.RESULT, image=jpeg())


def _cold(client, ticket) -> tuple[int, str]:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("ticket_detail", kwargs={"code": ticket.short_code}))
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


@pytest.mark.parametrize("events", [1, 50])
def test_the_page_of_a_summoned_request_makes_at_most_eight_queries_cold(
    client, summoned, housing, events
):
    """A co-handling department's member: the request, its timeline with the photos, the
    summonses and the areas above, on top of the session, the user, their posts and their
    unread count."""
    _grow(summoned, events)
    client.force_login(housing)  # 报到 for housing is on the page
    queries, page = _cold(client, summoned)
    assert queries <= COLD_QUERIES
    assert page.count("/tickets/photos/") == 2 * events  # each photo: link and thumbnail
    assert "Police" in page and "Market" in page
    assert "报到 for" in page


@pytest.mark.parametrize(
    "who, most",
    [
        ("housing", COLD_QUERIES),
        # The lead may escalate to a department: the departments, once.
        ("police", COLD_QUERIES + 1),
        # The dispatcher's picker: the people and the departments with their loads.
        ("dispatcher", COLD_QUERIES + 2),
    ],
)
def test_the_page_makes_as_many_queries_for_fifty_events_as_for_one(
    client, summoned, request, who, most
):
    client.force_login(request.getfixturevalue(who))
    _grow(summoned, 1)
    one, _page = _cold(client, summoned)
    _grow(summoned, 49)
    fifty, _page = _cold(client, summoned)
    assert one == fifty <= most


def test_the_page_of_a_new_request_with_the_dispatchers_picker_stays_small_cold(
    client, territory, matter, dispatcher
):
    """Everything a dispatcher is offered on a new request (accept and assign with the
    people and departments, merge with its nearby duplicates, escalate, summon) on top of
    the page: the people, the departments, the nearby requests and the calendar for the
    deadline, one query each; no summonses, joint actions or department to look for."""
    ticket = reported(territory, matter)[0]
    assert ticket.status == Status.SUBMITTED
    client.force_login(dispatcher)
    queries, page = _cold(client, ticket)
    assert queries <= COLD_QUERIES + 3
    assert 'name="lead"' in page and 'name="into"' in page and 'name="assignee"' in page


def test_a_photo_still_being_processed_is_shown_as_such_not_served(client, summoned, police):
    _grow(summoned, 1)
    waiting = Photo.objects.filter(ticket=summoned).latest("pk")
    Photo.objects.filter(pk=waiting.pk).update(processed=False)
    client.force_login(police)
    _queries, page = _cold(client, summoned)
    assert reverse("ticket_photo", kwargs={"pk": waiting.pk}) not in page
    assert "Photo being processed" in page
