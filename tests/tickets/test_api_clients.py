"""The API clients' pages (issue 20): district staff let a system in and its token is shown
once, never again; a new token stops the old one; a revoked client is refused; the API
records when a client was last used."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tickets import services
from tickets.api import authenticate
from tickets.models import ApiClient

pytestmark = pytest.mark.django_db


def _token_on(page: str) -> str | None:
    found = re.search(r'id="issued-token">([^<]+)<', page)
    return found.group(1) if found else None


def _authenticates(token: str) -> ApiClient | None:
    return authenticate(RequestFactory().post("/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_a_new_clients_token_is_shown_once_and_only_its_hash_is_kept(
    client, district_officer, territory
):
    client.force_login(district_officer)
    response = client.post(
        reverse("api_clients"), {"name": "12345热线", "area": territory.district.pk}, follow=True
    )
    token = _token_on(response.content.decode())
    assert token and "no-store" in response["Cache-Control"]
    added = ApiClient.objects.get(name="12345热线")
    assert added.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert added.token_hint == token[-6:]
    assert _authenticates(token) == added
    again = client.get(reverse("api_client_detail", args=[added.pk])).content.decode()
    assert _token_on(again) is None and token not in again
    assert token not in client.get(reverse("api_clients")).content.decode()


def test_a_new_token_stops_the_old_one(client, district_officer, territory):
    added, old = services.create_api_client(
        by=district_officer, name="sensors", area=territory.street
    )
    client.force_login(district_officer)
    response = client.post(
        reverse("api_client_rotate", args=[added.pk]), {"version": added.version}, follow=True
    )
    new = _token_on(response.content.decode())
    assert new and new != old
    assert _authenticates(old) is None
    assert _authenticates(new) == added


def test_a_revoked_client_is_refused_until_reactivated(client, district_officer, territory):
    added, token = services.create_api_client(
        by=district_officer, name="sensors", area=territory.street
    )
    client.force_login(district_officer)
    url = reverse("api_client_active", args=[added.pk])
    client.post(url, {"active": "0", "version": added.version})
    assert _authenticates(token) is None
    added.refresh_from_db()
    client.post(url, {"active": "1", "version": added.version})
    assert _authenticates(token) == added


def test_the_api_records_when_a_client_was_last_used(district_officer, territory, client):
    added, token = services.create_api_client(
        by=district_officer, name="sensors", area=territory.street
    )
    assert added.last_used_at is None
    _authenticates(token)
    added.refresh_from_db()
    assert added.last_used_at is not None
    version = added.version
    client.force_login(district_officer)
    page = client.get(reverse("api_client_detail", args=[added.pk])).content.decode()
    assert added.last_used_at.strftime("%Y-%m-%d") in page
    # A system's call does not make an officer's open form stale.
    assert version == ApiClient.objects.get(pk=added.pk).version


def test_a_bad_client_form_shows_the_error_and_adds_nothing(client, district_officer):
    client.force_login(district_officer)
    response = client.post(reverse("api_clients"), {"name": "", "area": ""})
    assert set(response.context["form"].errors) == {"name", "area"}
    assert not ApiClient.objects.exists()


def test_a_clients_page_shows_its_history_without_the_token(client, district_officer, territory):
    added, token = services.create_api_client(
        by=district_officer, name="sensors", area=territory.street
    )
    services.rotate_api_token(by=district_officer, client=added)
    client.force_login(district_officer)
    page = client.get(reverse("api_client_detail", args=[added.pk])).content.decode()
    assert "History" in page and str(district_officer) in page
    assert added.token_hash not in page and token not in page


def test_a_street_officer_cannot_open_or_issue_api_clients(client, street_officer, territory):
    added, _token = services.create_api_client(by=None, name="sensors", area=territory.street)
    client.force_login(street_officer)
    assert client.get(reverse("api_clients")).status_code == 404
    assert client.post(reverse("api_client_rotate", args=[added.pk])).status_code == 404
    assert ApiClient.objects.get(pk=added.pk).token_hash == added.token_hash


def test_the_list_takes_as_many_queries_for_fifty_clients_as_for_one(
    client, district_officer, territory
):
    services.create_api_client(by=None, name="c0", area=territory.street)
    client.force_login(district_officer)
    url = reverse("api_clients")
    cache.clear()  # both counts with nothing cached: the same work for the page
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(1, 50):
        services.create_api_client(by=None, name=f"c{n}", area=territory.community)
    cache.clear()
    with CaptureQueriesContext(connection) as fifty:
        client.get(url)
    assert len(fifty) == len(one)


def test_the_new_client_form_offers_the_district_first(client, district_officer, territory):
    client.force_login(district_officer)
    form = client.get(reverse("api_clients")).context["form"]
    assert form["area"].value() == territory.district.pk
