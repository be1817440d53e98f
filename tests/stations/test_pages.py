"""Staff pages: the forms call the services and land errors on the right fields."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from stations.models import Activity, Inspection, Item, MonthlyServed, ServiceType, Station
from tests.stations.factories import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client, community_officer):
    client.force_login(community_officer)
    return community_officer


def _station_post(**changes):
    data = {
        "code": "C1-NEW",
        "name": "幸福第二网格党群直通站",
        "kind": "grid_station",
        "address": "幸福路2号",
        "longitude": "120.15",
        "latitude": "31.05",
        "opening_hours": "周一至周五 9:00–17:00",
        "phone": "0519-8888 6666",
        "is_open": "on",
    }
    data.update(changes)
    return data


def test_a_community_officer_adds_a_station_with_services_and_staff(
    client, officer, territory, own_worker
):
    services = list(ServiceType.objects.filter(code__in=["party_affairs", "mediation"]))
    response = client.post(
        reverse("station_create", kwargs={"code": "C1"}),
        _station_post(
            area=territory.neighbour_grid.pk,
            services=[s.pk for s in services],
            staff=[own_worker.pk],
        ),
    )
    station = Station.objects.get(code="C1-NEW")
    assert response.status_code == 302
    assert response["Location"] == reverse("station_detail", kwargs={"code": "C1-NEW"})
    assert set(station.services.all()) == set(services)
    assert list(station.staff.all()) == [own_worker]
    assert station.grid == territory.neighbour_grid


def test_a_location_outside_the_area_lands_on_the_form(client, officer, territory):
    response = client.post(
        reverse("station_create", kwargs={"code": "C1"}),
        _station_post(area=territory.grid.pk),  # 120.15 lies in G2, not G1
    )
    assert response.status_code == 200
    assert response.context["form"].errors["longitude"] == [
        "This location lies outside 幸福第一网格."
    ]


def test_a_bad_phone_lands_on_the_form(client, officer, territory):
    response = client.post(
        reverse("station_create", kwargs={"code": "C1"}),
        _station_post(area=territory.neighbour_grid.pk, phone="12345"),
    )
    assert "phone" in response.context["form"].errors


def test_editing_keeps_the_code_and_refuses_a_stale_version(client, officer, station):
    url = reverse("station_edit", kwargs={"code": station.code})
    form = client.get(url).context["form"]
    assert form.fields["code"].disabled
    data = _station_post(
        code="HACKED", area=station.area_id, longitude="120.05", name="新名字", version="1"
    )
    assert client.post(url, data).status_code == 302
    station.refresh_from_db()
    assert station.code == "G1-ZD" and station.name == "新名字" and station.version == 2
    stale = client.post(url, {**data, "name": "又一个名字", "version": "1"})
    assert stale.status_code == 200
    assert "Someone else saved this record" in stale.content.decode()


def test_a_community_officer_records_an_inspection_with_a_photo(client, officer, station):
    data = {"inspected_on": "2026-05-01", "note": "整体良好"}
    for item in Item.values:
        data[f"passed_{item}"] = "1"
    data["passed_sign"] = "0"
    data["note_sign"] = "标识褪色"
    data["photo_sign"] = upload()
    response = client.post(reverse("inspection_create", kwargs={"code": station.code}), data)
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inspection_detail", kwargs={"pk": inspection.pk})
    assert not inspection.passed and inspection.inspected_on == dt.date(2026, 5, 1)
    sign = inspection.items.get(item="sign")
    assert sign.note == "标识褪色" and sign.photo
    page = client.get(response["Location"]).content.decode()
    assert reverse("inspection_photo", kwargs={"pk": sign.pk}) in page
    photo = client.get(reverse("inspection_photo", kwargs={"pk": sign.pk}))
    assert photo.status_code == 200 and photo["Cache-Control"].startswith("private")


def test_an_unjudged_item_or_a_bad_photo_keeps_the_form(client, officer, station):
    data = {"inspected_on": "2026-05-01"}
    for item in Item.values[:-1]:
        data[f"passed_{item}"] = "1"
    data["photo_sign"] = upload("sign.jpg", b"not an image")
    response = client.post(reverse("inspection_create", kwargs={"code": station.code}), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "passed_plaque" in errors
    assert not Inspection.objects.exists()
    data["passed_plaque"] = "1"
    data["photo_sign"] = upload("sign.jpg", b"not an image")
    response = client.post(reverse("inspection_create", kwargs={"code": station.code}), data)
    assert "not a photo we can read" in response.context["form"].errors["photo_sign"][0]


def test_the_grid_worker_logs_an_activity_with_photos_and_people_served(
    client, own_worker, station
):
    client.force_login(own_worker)
    response = client.post(
        reverse("activity_create", kwargs={"code": station.code}),
        {
            "held_on": "2026-04-02",
            "title": "义诊",
            "kind": "consultation",
            "attendance": "35",
            "photos": [upload("a.jpg"), upload("b.png", image_bytes(fmt="PNG"))],
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.photos.count() == 2
    detail = client.get(reverse("activity_detail", kwargs={"pk": activity.pk}))
    assert detail.status_code == 200
    response = client.post(
        reverse("served_record", kwargs={"code": station.code}),
        {"month": "2026-03", "people": "420"},
    )
    assert response.status_code == 302
    assert MonthlyServed.objects.get().month == dt.date(2026, 3, 1)
    page = client.get(reverse("station_detail", kwargs={"code": station.code})).content.decode()
    assert "420" in page and "义诊" in page


def test_uploading_and_deleting_a_station_photo(client, officer, station):
    url = reverse("station_photo_add", kwargs={"code": station.code})
    bad = client.post(url, {"image": upload("x.jpg", b"MZ")}, follow=True)
    assert "not a photo we can read" in bad.content.decode()
    assert not station.photos.exists()
    client.post(url, {"image": upload(), "caption": "外景"})
    photo = station.photos.get()
    response = client.post(reverse("station_photo_delete", kwargs={"pk": photo.pk}))
    assert response.status_code == 302 and not station.photos.exists()


def test_the_station_page_shows_only_the_actions_the_user_may_take(
    client, station, own_worker, street_officer
):
    client.force_login(own_worker)
    body = client.get(reverse("station_detail", kwargs={"code": station.code})).content.decode()
    assert reverse("activity_create", kwargs={"code": station.code}) in body
    assert reverse("station_edit", kwargs={"code": station.code}) not in body
    assert reverse("inspection_create", kwargs={"code": station.code}) not in body
    client.force_login(street_officer)
    body = client.get(reverse("station_detail", kwargs={"code": station.code})).content.decode()
    assert reverse("inspection_create", kwargs={"code": station.code}) in body
    assert reverse("activity_create", kwargs={"code": station.code}) not in body


def test_the_coverage_page_shows_the_figures(client, officer, station, territory):
    from tests.factories import HouseholdFactory

    HouseholdFactory(grid=territory.grid, longitude=120.05, latitude=31.055)
    HouseholdFactory(grid=territory.neighbour_grid, longitude=120.19, latitude=31.09)
    body = client.get(reverse("station_coverage", kwargs={"code": "C1"})).content.decode()
    assert "Grids with a station: 1 of 2" in body
    assert "Households in the 15-minute service circle: 1 of 2" in body
    assert "50.0%" in body
    assert "幸福第二网格" in body  # listed: no station, and a household outside


def test_the_area_page_links_to_stations(client, officer):
    body = client.get(reverse("area_detail", kwargs={"code": "C1"})).content.decode()
    assert reverse("station_list", kwargs={"code": "C1"}) in body
    assert reverse("station_coverage", kwargs={"code": "C1"}) in body
