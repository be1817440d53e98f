"""The one place that lists what pages show of the apps above them (governance/navigation.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.navigation import Link, Panel, listed


@pytest.mark.parametrize(
    ("name", "argument"),
    [
        ("AREA_PAGE_LINKS", "G1"),
        ("HOUSEHOLD_PAGE_ACTIONS", 1),
        ("DECISION_ACTIONS", 1),
        ("PROFILE_LINKS", None),
    ],
)
def test_every_listed_link_leads_to_a_page_taking_what_the_page_hands_it(name, argument):
    links = listed(name)
    assert links and all(isinstance(link, Link) for link in links)
    for link in links:
        assert reverse(link.url_name, args=[] if argument is None else [argument])


def test_the_grid_request_link_takes_a_grid_code():
    assert reverse(listed("GRID_REQUEST").url_name, args=["G1"])


def test_household_panels_name_their_templates_and_a_query():
    from django.template.loader import get_template

    for panel in listed("HOUSEHOLD_PAGE_PANELS"):
        assert isinstance(panel, Panel) and callable(panel.rows)
        get_template(panel.template)


@pytest.mark.django_db
def test_an_area_page_shows_the_listed_links_in_their_order(client, district_officer, territory):
    client.force_login(district_officer)
    body = client.get(reverse("area_detail", args=[territory.street.code])).content.decode()
    shown = [
        link
        for link in listed("AREA_PAGE_LINKS")
        if reverse(link.url_name, args=[territory.street.code]) in body
    ]
    positions = [body.index(reverse(link.url_name, args=[territory.street.code])) for link in shown]
    assert len(shown) >= 5
    assert positions == sorted(positions)
