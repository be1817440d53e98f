"""The large-text mode (适老化) of the public pages: one switch, remembered by this browser in a
cookie read on the server, so the page arrives large (no flash); only on the pages a resident
opens without an account; shorter words where a page explains at length."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.context_processors import LARGE_TEXT_COOKIE

pytestmark = pytest.mark.django_db

LARGE = '<html lang="en" class="large-text">'


def _public_pages(territory) -> list[str]:
    return [
        reverse("resident_request", kwargs={"code": territory.grid.code}),
        reverse("track_lookup"),
        reverse("wish_wall", kwargs={"code": territory.community.code}),
        reverse("wish_new", kwargs={"code": territory.community.code}),
        reverse("station_directory"),
    ]


def _switch(client, *, on: bool, next_url: str):
    return client.post(reverse("large_text"), {"on": "1" if on else "0", "next": next_url})


def test_the_switch_sets_a_lasting_cookie_and_returns_to_the_page(client, territory):
    page = reverse("resident_request", kwargs={"code": territory.grid.code})
    response = _switch(client, on=True, next_url=page)
    assert response.status_code == 302 and response["Location"] == page
    cookie = response.cookies[LARGE_TEXT_COOKIE]
    assert cookie.value == "1"
    assert cookie["max-age"] >= 300 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_every_public_page_offers_the_switch_and_is_large_once_it_is_on(client, territory):
    for url in _public_pages(territory):
        body = client.get(url).content.decode()
        assert 'action="/accounts/large-text/"' in body, url
        assert 'aria-pressed="false"' in body and "Large text" in body, url
        assert LARGE not in body, url
    client.cookies[LARGE_TEXT_COOKIE] = "1"
    for url in _public_pages(territory):
        body = client.get(url).content.decode()
        assert LARGE in body, url
        assert 'aria-pressed="true"' in body, url


def test_switching_off_forgets_it(client, territory):
    page = reverse("track_lookup")
    _switch(client, on=True, next_url=page)
    response = _switch(client, on=False, next_url=page)
    assert response.cookies[LARGE_TEXT_COOKIE].value == ""
    body = client.get(page).content.decode()
    assert LARGE not in body and 'aria-pressed="false"' in body


def test_signed_in_pages_neither_offer_it_nor_grow(client, territory, own_worker):
    client.cookies[LARGE_TEXT_COOKIE] = "1"
    client.force_login(own_worker)
    body = client.get(reverse("area_detail", kwargs={"code": territory.grid.code})).content
    assert b"large-text" not in body


def test_the_switch_never_sends_the_browser_to_another_site(client):
    response = _switch(client, on=True, next_url="https://evil.example/")
    assert response["Location"] == "/"


def test_large_text_says_it_in_fewer_words(client, territory):
    page = reverse("resident_request", kwargs={"code": territory.grid.code})
    long_words = "your grid team answers, and you can follow every step"
    assert long_words in client.get(page).content.decode()
    client.cookies[LARGE_TEXT_COOKIE] = "1"
    body = client.get(page).content.decode()
    assert long_words not in body
    assert "Tell us the problem. No account needed." in body
    assert "Only community staff see your name and number." in body
