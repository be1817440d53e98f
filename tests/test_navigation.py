"""The one place that lists what pages show of the apps above them (governance/navigation.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.navigation import Link, Panel, Section, listed
from grids.roles import Role


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
        assert link.url(argument) if argument is not None else reverse(link.url_name)


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
    sections = body[
        body.index('class="area-sections') : body.index(
            "</nav>", body.index('class="area-sections')
        )
    ]
    shown = [
        link
        for link in listed("AREA_PAGE_LINKS")
        if f'"{link.url(territory.street.code)}"' in sections
    ]
    positions = [sections.index(f'"{link.url(territory.street.code)}"') for link in shown]
    assert len(shown) >= 5
    assert positions == sorted(positions)


def test_every_link_of_an_area_page_names_its_theme_and_themes_keep_their_order():
    links = listed("AREA_PAGE_LINKS")
    unsorted = [link.url_name for link in links if link.section not in Section.values]
    assert not unsorted
    assert not [link.url_name for link in links if link.section == Section.MORE], (
        "say which theme each link of an area's page belongs to (core.navigation.Section)"
    )
    # Listed theme by theme, so the page shows them in the order they are listed.
    order = [Section.values.index(link.section) for link in links]
    assert order == sorted(order)


@pytest.mark.django_db
def test_an_area_page_groups_its_links_by_theme(client, community_officer, territory):
    client.force_login(community_officer)
    body = client.get(
        reverse("area_detail", args=[territory.community.code]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    for key in ("people", "party", "stations", "points", "requests"):
        assert f'id="section-{key}"' in body
    people = body[body.index('id="section-people"') : body.index('id="section-party"')]
    assert reverse("household_list", args=[territory.community.code]) in people
    assert reverse("area_people", args=[territory.community.code]) in people
    party = body[body.index('id="section-party"') : body.index('id="section-stations"')]
    assert reverse("area_branches", args=[territory.community.code]) in party
    # Only what the community's staff may open: the district's schemes are not offered.
    assert reverse("points_schemes", args=[territory.community.code]) not in body


@pytest.mark.django_db
def test_a_worker_sees_only_the_themes_they_may_open(client, own_worker, territory):
    client.force_login(own_worker)
    body = client.get(reverse("area_detail", args=[territory.grid.code])).content.decode()
    assert reverse("my_visits") in body and reverse("my_tasks") in body
    assert f'"{reverse("ticket_board")}"' not in body  # a worker does not dispatch
    assert reverse("area_people", args=[territory.grid.code]) not in body


@pytest.mark.django_db
def test_an_area_page_costs_the_same_queries_however_many_links(
    client, community_officer, district_officer, territory, django_assert_max_num_queries
):
    client.force_login(community_officer)
    client.get(reverse("area_detail", args=[territory.community.code]))  # warm the caches
    with django_assert_max_num_queries(25):
        assert (
            client.get(reverse("area_detail", args=[territory.community.code])).status_code == 200
        )
    client.force_login(district_officer)
    client.get(reverse("area_detail", args=[territory.district.code]))
    with django_assert_max_num_queries(25):
        assert client.get(reverse("area_detail", args=[territory.district.code])).status_code == 200


def test_every_role_lands_on_a_page_of_its_own():
    landings = listed("HOME_BY_ROLE")
    assert set(landings) <= set(Role.values)
    for url_name in landings.values():
        assert reverse(url_name)
