"""受理并派单: a new request accepted and given to someone in one step, from the dispatch board's
to-accept tab (per row and in bulk) and from the request's page; the picker names each
candidate's role and how many open requests they already hold."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from branches.models import PartyMember
from tests.factories import UserFactory
from tests.tickets.fixtures import reported as _report
from tickets import services
from tickets.models import Department, Event, Status, Ticket

pytestmark = pytest.mark.django_db
A = Event.Action


@pytest.fixture
def party_member(branch):
    """A party member of G1's branch with an account and no post: 党员接单."""
    user = UserFactory(username="g1_party_member", display_name="王党员")
    PartyMember.objects.create(name="王党员", community=branch.community, branch=branch, user=user)
    return user


def _picker(page: str, code: str) -> str:
    start = page.index(f'id="to-{code}"')
    return page[start : page.index("</select>", start)]


# --- The service ------------------------------------------------------------------------------


def test_accept_and_assign_writes_both_transitions_in_one_step(ticket, dispatcher, member_worker):
    ticket = services.accept_and_assign(
        by=dispatcher, ticket=ticket, assignee=member_worker, expected_version=ticket.version
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, member_worker)
    assert ticket.accepted_at is not None and ticket.completion_due is not None
    events = list(ticket.events.order_by("at", "pk").values_list("action", "actor", "to_status"))
    assert events[1:] == [
        (A.ACCEPT, dispatcher.pk, Status.ACCEPTED),
        (A.ASSIGN, dispatcher.pk, Status.ASSIGNED),
    ]


def test_accept_and_assign_to_a_department(ticket, dispatcher):
    water = Department.objects.create(code="water", name_en="Water", name_zh="水务")
    ticket = services.accept_and_assign(by=dispatcher, ticket=ticket, department=water)
    assert (ticket.status, ticket.department, ticket.assignee) == (Status.ASSIGNED, water, None)


def test_accept_and_assign_is_refused_when_the_request_changed_meanwhile(
    ticket, dispatcher, member_worker, own_worker
):
    seen = ticket.version
    services.accept(by=dispatcher, ticket=ticket)  # a colleague, a moment before
    with pytest.raises(services.StaleTicket):
        services.accept_and_assign(
            by=dispatcher, ticket=ticket, assignee=member_worker, expected_version=seen
        )
    # Without a version (bulk): the accept rule itself refuses a request no longer new.
    with pytest.raises(ValidationError):
        services.accept_and_assign(by=dispatcher, ticket=ticket, assignee=own_worker)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.ACCEPTED, None)


def test_an_assignee_outside_the_requests_grid_leaves_it_unaccepted(
    ticket, dispatcher, neighbour_worker
):
    with pytest.raises(ValidationError) as caught:
        services.accept_and_assign(by=dispatcher, ticket=ticket, assignee=neighbour_worker)
    assert "assignee" in caught.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED and ticket.accepted_at is None
    assert list(ticket.events.values_list("action", flat=True)) == [A.SUBMIT]


def test_only_dispatchers_accept_and_assign(ticket, own_worker, member_worker):
    with pytest.raises(PermissionDenied):
        services.accept_and_assign(by=own_worker, ticket=ticket, assignee=member_worker)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SUBMITTED


def test_the_candidates_carry_role_place_and_open_load(
    territory, matter, dispatcher, member_worker, own_worker, party_member
):
    first, second, done = _report(territory, matter, n=3)
    services.accept_and_assign(by=dispatcher, ticket=first, assignee=member_worker)
    services.accept_and_assign(by=dispatcher, ticket=second, assignee=member_worker)
    closed = services.accept_and_assign(by=dispatcher, ticket=done, assignee=own_worker)
    Ticket.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    people = {p.username: p for p in services.assignable_people(dispatcher, first)}
    assert (people["member_g1"].role, people["member_g1"].load) == ("part_time_worker", 2)
    assert people["member_g1"].post_area == territory.grid.name
    assert (people["own_worker"].role, people["own_worker"].load) == ("grid_worker", 0)
    assert (people["g1_party_member"].role, people["g1_party_member"].load) == (
        services.PARTY_MEMBER,
        0,
    )
    assert services.placed_in(people["g1_party_member"], territory.grid.path)
    assert not services.placed_in(people["g1_party_member"], territory.neighbour_grid.path)


# --- The pages --------------------------------------------------------------------------------


def test_the_to_accept_tab_offers_each_row_the_people_of_its_grid(
    client, territory, matter, dispatcher, member_worker, neighbour_worker, party_member
):
    here = _report(territory, matter)[0]
    there = _report(territory, matter, grid=territory.neighbour_grid)[0]
    services.accept_and_assign(
        by=dispatcher, ticket=_report(territory, matter)[0], assignee=member_worker
    )
    client.force_login(dispatcher)
    page = client.get(reverse("ticket_board"), {"view": "new"}).content.decode()
    accept_url = reverse("ticket_accept_assign", kwargs={"code": here.short_code})
    assert f'action="{accept_url}"' in page
    assert f'form="accept-{here.short_code}"' in page
    row = _picker(page, here.short_code)
    # Role, place and load, in the language of the page (English here).
    assert "刘党员 · Part-time grid worker (party member) · 1 open request<" in row
    assert "王党员 · Party member · 0 open requests" in row
    # Another grid's worker is offered for that grid's row, not for this one.
    assert f"{neighbour_worker} · Full-time grid worker" not in row
    assert f"{neighbour_worker} · Full-time grid worker" in _picker(page, there.short_code)
    # Bulk, too: the tab's checkboxes and one picker that accepts and assigns.
    bulk = page[page.index('id="bulk-assignee"') :]
    bulk = bulk[: bulk.index("</select>")]
    assert "Part-time grid worker (party member), 幸福第一网格 · 1 open request<" in bulk
    assert f'name="codes" value="{here.short_code}"' in page
    assert 'name="accept" value="1"' in page


def test_accept_and_assign_from_the_board_goes_back_to_the_board(
    client, ticket, dispatcher, member_worker
):
    client.force_login(dispatcher)
    board = reverse("ticket_board") + "?view=new"
    response = client.post(
        reverse("ticket_accept_assign", kwargs={"code": ticket.short_code}),
        {"assignee": member_worker.pk, "version": ticket.version, "next": board},
    )
    assert response.status_code == 302 and response["Location"] == board
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, member_worker)
    page = client.get(board).content.decode()
    assert f"{ticket.short_code} accepted and assigned to 刘党员." in page
    assert f'id="to-{ticket.short_code}"' not in page  # off the to-accept tab


def test_a_stale_row_is_refused_politely(client, ticket, dispatcher, member_worker, own_worker):
    seen = ticket.version
    services.accept_and_assign(by=dispatcher, ticket=ticket, assignee=own_worker)
    client.force_login(dispatcher)
    response = client.post(
        reverse("ticket_accept_assign", kwargs={"code": ticket.short_code}),
        {"assignee": member_worker.pk, "version": seen, "next": reverse("ticket_board")},
        follow=True,
    )
    assert response.status_code == 200
    assert "Someone else has just acted on this request" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == own_worker


def test_a_person_not_offered_is_refused_and_nothing_changes(
    client, ticket, dispatcher, neighbour_worker
):
    client.force_login(dispatcher)
    response = client.post(
        reverse("ticket_accept_assign", kwargs={"code": ticket.short_code}),
        {"assignee": neighbour_worker.pk, "version": ticket.version},
        follow=True,
    )
    assert response.status_code == 200 and response.context["messages"]
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SUBMITTED


@pytest.mark.parametrize("persona_name", ["neighbour_worker", "other_street_officer"])
def test_another_areas_request_is_not_found(client, ticket, member_worker, persona_name, request):
    client.force_login(request.getfixturevalue(persona_name))
    response = client.post(
        reverse("ticket_accept_assign", kwargs={"code": ticket.short_code}),
        {"assignee": member_worker.pk, "version": ticket.version},
    )
    assert response.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SUBMITTED


def test_the_grid_worker_may_not_accept_and_assign(client, ticket, own_worker, member_worker):
    client.force_login(own_worker)
    response = client.post(
        reverse("ticket_accept_assign", kwargs={"code": ticket.short_code}),
        {"assignee": member_worker.pk, "version": ticket.version},
    )
    assert response.status_code == 403


def test_bulk_accept_and_assign_from_the_to_accept_tab(
    client, territory, matter, dispatcher, member_worker
):
    tickets = _report(territory, matter, n=3)
    elsewhere = _report(territory, matter, grid=territory.neighbour_grid)[0]
    client.force_login(dispatcher)
    response = client.post(
        reverse("ticket_bulk_assign"),
        {
            "codes": [t.short_code for t in [*tickets, elsewhere]],
            "assignee": member_worker.pk,
            "accept": "1",
            "version": 0,
        },
        follow=True,
    )
    assert Ticket.objects.filter(assignee=member_worker, status=Status.ASSIGNED).count() == 3
    # The member works in G1: G2's request stays new, and the dispatcher is told why.
    assert Ticket.objects.get(pk=elsewhere.pk).status == Status.SUBMITTED
    page = response.content.decode()
    assert "3 requests assigned." in page and elsewhere.short_code in page


def test_the_request_page_accepts_and_assigns_in_one_form(client, ticket, dispatcher):
    client.force_login(dispatcher)
    page = client.get(reverse("ticket_detail", kwargs={"code": ticket.short_code}))
    html = page.content.decode()
    form = html[html.index('assign-form"') :]
    form = form[: form.index("</form>")]
    accept_url = reverse("ticket_accept_assign", kwargs={"code": ticket.short_code})
    assert accept_url in html
    # Whom first; the note after the button, folded away.
    assert form.index('name="assignee"') < form.index('type="submit"') < form.index('name="note"')
    assert "To be completed by" in form
    # Accepting alone is still there, after the one step.
    accept_alone = reverse("ticket_act", kwargs={"code": ticket.short_code, "action": "accept"})
    assert html.index(accept_url) < html.index(f'action="{accept_alone}"')


def test_the_bulk_picker_offers_the_people_of_the_grids_on_the_page_only(
    client, territory, matter, dispatcher, member_worker, neighbour_worker
):
    """In a district the board's picker would otherwise list every grid's people (5,000)."""
    _report(territory, matter)
    client.force_login(dispatcher)
    page = client.get(reverse("ticket_board"), {"view": "new"}).content.decode()
    bulk = page[page.index('id="bulk-assignee"') :]
    bulk = bulk[: bulk.index("</select>")]
    assert str(member_worker.display_name or member_worker) in bulk
    assert str(neighbour_worker) not in bulk  # no request of the neighbouring grid shown
    _report(territory, matter, grid=territory.neighbour_grid)
    page = client.get(reverse("ticket_board"), {"view": "new"}).content.decode()
    bulk = page[page.index('id="bulk-assignee"') :]
    assert str(neighbour_worker) in bulk[: bulk.index("</select>")]


@pytest.mark.parametrize("view", ["new", "unassigned"])
def test_the_pickers_cost_the_same_queries_for_one_or_fifty_rows(
    client,
    territory,
    matter,
    dispatcher,
    member_worker,
    party_member,
    view,
    django_assert_max_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dispatcher)
    url = reverse("ticket_board") + f"?view={view}"

    def report(n):
        for t in _report(territory, matter, n=n) + _report(
            territory, matter, grid=territory.neighbour_grid, n=n
        ):
            if view == "unassigned":
                services.accept(by=dispatcher, ticket=t)

    def count():
        client.get(url)  # warm the caches of posts and rows
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    report(1)
    one = count()
    report(25)  # 50 rows more, in two grids: a full page of rows with pickers
    client.get(url)
    with django_assert_max_num_queries(one):
        page = client.get(url).content.decode()
    assert page.count("board-entry") == 25
    if view == "new":
        assert page.count('<select id="to-') == 25  # a picker per row
