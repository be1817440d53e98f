"""No link that ends in a 403 (or a server error): each role signs in, and every link on the
page it lands on, on its area's page and in the navbar is followed.

A worker used to read on /points/ that an account opens with their first declaration, and
/points/declare/ then answered a bare 403; the area pages offered links by level that the
role could not open. The personas are the demo's roles on the test territory."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from branches.models import PartyMember
from grids.roles import Role
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"#]*)"')
# Followed elsewhere or not pages: static files, the admin (staff only), uploaded photos.
SKIPPED = ("/static/", "/media/", "/admin/", "/accounts/logout/")


def _person(username: str, role: str, area):
    user = UserFactory(username=username)
    PostFactory(user=user, area=area, role=role)
    return user


@pytest.fixture
def people(territory, household, branch, grid_leader):
    """One user of each role the demo signs in as, and a party member without a post."""
    member_user = UserFactory(username="member_only")
    PartyMember.objects.create(
        name="王党员",
        phone="13900000009",
        community=territory.community,
        branch=branch,
        user=member_user,
    )
    return {
        "worker": _person("worker", Role.GRID_WORKER, territory.grid),
        "leader": grid_leader,
        "parttime": _person("parttime", Role.PART_TIME_WORKER, territory.grid),
        "liaison": _person("liaison", Role.LIAISON, territory.micro),
        "volunteer": _person("volunteer", Role.VOLUNTEER, territory.grid),
        "rider": _person("rider", Role.MOBILE_WORKER, territory.community),
        "community": _person("community", Role.COMMUNITY_STAFF, territory.community),
        "street": _person("street", Role.STREET_STAFF, territory.street),
        "district": _person("district", Role.DISTRICT_STAFF, territory.district),
        "member": member_user,
    }


def _links(body: str) -> set[str]:
    return {
        url.replace("&amp;", "&")
        for url in HREF.findall(body)
        if not url.startswith(SKIPPED) and not url.endswith((".js", ".css", ".svg"))
    }


def _dead(client, start_urls) -> tuple[set[str], dict[str, int]]:
    """Every link on the pages at ``start_urls`` (after their redirects) and where it ends."""
    links: set[str] = set()
    for url in start_urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        links |= _links(response.content.decode())
    dead = {}
    for url in sorted(links):
        status = client.get(url, follow=True).status_code
        if status >= 400:
            dead[url] = status
    return links, dead


@pytest.mark.parametrize(
    "name",
    [
        "worker",
        "leader",
        "parttime",
        "liaison",
        "volunteer",
        "rider",
        "community",
        "street",
        "district",
        "member",
    ],
)
def test_no_link_a_role_is_shown_ends_in_a_refusal(name, people, client):
    client.force_login(people[name])
    # The landing page, the area's page ("My area": the navbar is on both), and /points/.
    links, dead = _dead(client, [reverse("home"), reverse("my_area"), reverse("my_points")])
    assert len(links) >= 5
    assert not dead, f"{name} is shown links that fail: {dead}"


def test_points_tell_a_worker_who_is_no_party_member_why_there_is_nothing_to_declare(
    territory, client
):
    client.force_login(_person("worker", Role.GRID_WORKER, territory.grid))
    page = client.get(reverse("my_points"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("points_declare") not in page
    assert "not registered as a party member" in page
    assert "opens with your first declaration" not in page
    # Typed by hand, the form says the same, not a bare refusal.
    refused = client.get(reverse("points_declare"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "Only party members declare service points" in refused.content.decode()
