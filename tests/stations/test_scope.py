"""Scope: another area's station is a 404, forms offer only the user's areas, counts and
lists leave out what lies outside the user's areas."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grids.roles import Role
from stations.models import Inspection, Station
from tests.factories import PostFactory, UserFactory
from tests.stations.factories import StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def g2_station(territory):
    return StationFactory(code="G2-ZD", area=territory.neighbour_grid)


@pytest.mark.parametrize(
    "url_name", ["station_detail", "station_edit", "activity_list", "served_record"]
)
def test_another_grids_station_by_url_is_a_404_like_a_missing_one(
    url_name, persona, client, station
):
    persona("neighbour_worker")
    forbidden = client.get(reverse(url_name, kwargs={"code": station.code}))
    missing = client.get(reverse(url_name, kwargs={"code": "NO-SUCH-CODE"}))
    assert forbidden.status_code == missing.status_code == 404


def test_inspections_and_photos_of_another_area_are_404(
    persona, client, inspection_item, activity_photo
):
    persona("other_street_officer")
    for url in [
        reverse("inspection_detail", kwargs={"pk": inspection_item.inspection_id}),
        reverse("inspection_photo", kwargs={"pk": inspection_item.pk}),
        reverse("activity_photo", kwargs={"pk": activity_photo.pk}),
        reverse("activity_detail", kwargs={"pk": activity_photo.activity_id}),
    ]:
        assert client.get(url).status_code == 404, url


def test_the_area_choices_are_only_those_the_user_manages(client, community_officer, territory):
    client.force_login(community_officer)
    response = client.get(reverse("station_create", kwargs={"code": "C1"}))
    choices = {str(c[1]) for c in response.context["form"].fields["area"].choices}
    assert any("幸福第一网格" in c for c in choices) and any("幸福社区" in c for c in choices)
    assert not any("和平" in c for c in choices)  # C2 and its grid belong to another community


def test_a_crafted_post_for_another_communitys_grid_is_refused(
    client, community_officer, territory
):
    client.force_login(community_officer)
    response = client.post(
        reverse("station_create", kwargs={"code": "C1"}),
        {
            "code": "SNEAK",
            "name": "越界站点",
            "kind": "grid_station",
            "area": territory.far_grid.pk,  # G3, in C2
            "address": "x",
            "longitude": 120.1,
            "latitude": 31.15,
        },
    )
    assert response.status_code == 200
    assert "area" in response.context["form"].errors
    assert not Station.objects.filter(code="SNEAK").exists()


def test_a_grid_leader_cannot_open_the_form_of_the_community_above(client, territory):
    leader = UserFactory(username="leader")
    PostFactory(user=leader, area=territory.grid, role=Role.GRID_LEADER)
    client.force_login(leader)
    assert client.get(reverse("station_create", kwargs={"code": "G1"})).status_code == 200
    assert client.get(reverse("station_create", kwargs={"code": "C1"})).status_code == 404


def test_lists_and_counts_leave_out_other_areas(persona, client, station, g2_station, centre):
    persona("own_worker")
    page = client.get(reverse("station_list", kwargs={"code": "G1"}))
    assert [s.code for s in page.context["page"]] == ["G1-ZD"]
    assert set(
        Station.objects.visible_to(page.wsgi_request.user).values_list("code", flat=True)
    ) == {"G1-ZD"}
    persona("street_officer")
    page = client.get(reverse("station_list", kwargs={"code": "S1"}))
    assert page.context["page"].paginator.count == 3
    stranger = persona("other_street_officer")
    assert Station.objects.visible_to(stranger).count() == 0


def test_the_outside_list_shows_only_households_the_user_may_see(
    client, territory, station, settings
):
    from tests.factories import HouseholdFactory

    settings.SERVICE_CIRCLE_METRES = 100
    far = HouseholdFactory(grid=territory.grid, longitude=120.09, latitude=31.09)
    volunteer = UserFactory(username="volunteer")
    PostFactory(user=volunteer, area=territory.grid, role=Role.VOLUNTEER)
    client.force_login(volunteer)  # sees the territory, not households
    response = client.get(reverse("station_coverage", kwargs={"code": "G1"}))
    assert response.status_code == 200
    assert response.context["outside_page"] is None
    assert far.address not in response.content.decode()
    worker = UserFactory(username="worker2")
    PostFactory(user=worker, area=territory.grid, role=Role.GRID_WORKER)
    client.force_login(worker)
    response = client.get(reverse("station_coverage", kwargs={"code": "G1"}))
    assert far.address in response.content.decode()


def test_inspection_querysets_follow_the_station(street_officer, other_street_officer, inspection):
    assert Inspection.objects.visible_to(street_officer).count() == 1
    assert Inspection.objects.visible_to(other_street_officer).count() == 0
