"""What the service worker keeps for a doorway without a signal: a compact list of the worker's
own households (addresses, no personal data), one generic visit form, and a plain offline page;
and what the worker is told when a visit made a request."""

import uuid

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def test_the_offline_household_list_holds_the_workers_households_without_personal_data(
    client, own_worker, household, territory, django_assert_max_num_queries
):
    ResidentFactory(household=household, name="王秀英", phone="13912345678")
    HouseholdFactory.create_batch(3, grid=territory.grid)
    elsewhere = HouseholdFactory(grid=territory.neighbour_grid)
    client.force_login(own_worker)
    client.get(reverse("visit_offline_households"))  # sessions and posts warmed up
    with django_assert_max_num_queries(8):
        response = client.get(reverse("visit_offline_households"))
    rows = response.json()["households"]
    ids = {row["id"] for row in rows}
    assert household.pk in ids and elsewhere.pk not in ids and len(rows) == 4
    mine = next(row for row in rows if row["id"] == household.pk)
    assert mine == {
        "id": household.pk,
        "address": household.address,
        "where": f"{territory.grid.name} · {territory.micro.name}",
    }
    body = response.content.decode()
    assert "王秀英" not in body and "1391" not in body
    assert "no-store" in response["Cache-Control"]

    HouseholdFactory.create_batch(5, grid=territory.grid)
    with django_assert_max_num_queries(8):
        assert len(client.get(reverse("visit_offline_households")).json()["households"]) == 9


def test_the_generic_visit_form_names_no_household_and_fills_in_offline(client, own_worker):
    client.force_login(own_worker)
    response = client.get(reverse("visit_offline_form"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "data-offline-form" in body and 'id="visit-target"' in body
    assert 'name="household"' in body and 'id="visit-outcome"' in body
    assert reverse("visit_offline_households") in body


def test_the_offline_page_says_so_and_leads_to_the_list_and_the_queue(client, own_worker):
    anonymous = client.get(reverse("visits_offline")).content.decode()
    assert "You are offline" in anonymous and 'id="visit-queue-list"' in anonymous
    assert f'href="{reverse("my_visits")}"' not in anonymous  # not for them
    client.force_login(own_worker)
    body = client.get(reverse("visits_offline")).content.decode()
    assert f'href="{reverse("my_visits")}"' in body and 'href="#unsent"' in body


def test_the_worker_list_page_names_what_the_phone_keeps_for_offline(client, own_worker):
    client.force_login(own_worker)
    body = client.get(reverse("my_visits")).content.decode()
    assert "data-offline-kit" in body
    for name in ("visit_offline_form", "visit_offline_households", "visits_offline"):
        assert reverse(name) in body


def test_the_service_worker_falls_back_to_the_generic_form_and_the_offline_page(client):
    body = client.get("/sw.js").content.decode()
    assert "ignoreVary: true" in body
    assert reverse("visits_offline") in body and reverse("visit_offline_form") in body


def test_a_follow_up_visit_tells_the_request_code_and_links_to_it(
    client, own_worker, household, matter
):
    from tests.visits.test_visits import jpeg
    from tickets.models import Ticket

    client.force_login(own_worker)
    data = {
        "client_id": str(uuid.uuid4()),
        "household": household.pk,
        "kind": "routine",
        "findings": "楼道堆满纸箱",
        "follow_up": "on",
        "follow_up_matter": matter.code,
        "photos": jpeg(),
    }
    response = client.post(reverse("visit_submit"), data, HTTP_ACCEPT="application/json")
    ticket = Ticket.objects.get()
    url = reverse("ticket_detail", args=[ticket.short_code])
    assert response.status_code == 201
    assert response.json()["follow_ups"] == [{"code": ticket.short_code, "url": url}]
    page = client.get(reverse("household_detail", args=[household.pk])).content.decode()
    assert f"Request {ticket.short_code} was made for the follow-up." in page
    assert f'href="{url}"' in page
    assert client.get(url).status_code == 200  # the link does not end in a 403


def test_a_visit_without_follow_up_says_only_that_it_was_logged(client, own_worker, household):
    client.force_login(own_worker)
    data = {"client_id": str(uuid.uuid4()), "household": household.pk, "kind": "routine"}
    response = client.post(reverse("visit_submit"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 201 and response.json()["follow_ups"] == []


def test_the_queue_may_ask_whether_its_own_visit_arrived(
    client, own_worker, neighbour_worker, household
):
    client.force_login(own_worker)
    client_id = uuid.uuid4()
    url = reverse("visit_sent", args=[client_id])
    assert client.get(url).json() == {"status": "missing"}
    data = {"client_id": str(client_id), "household": household.pk, "kind": "routine"}
    client.post(reverse("visit_submit"), data, HTTP_ACCEPT="application/json")
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.json()["url"] == reverse("household_detail", args=[household.pk])
    client.force_login(neighbour_worker)
    assert client.get(url).json() == {"status": "missing"}  # not theirs to know of
