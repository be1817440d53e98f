"""Public pages: no sign-in, fast, and nothing personal: no resident data, no staff phones."""

from __future__ import annotations

import pytest
from django.urls import reverse

from stations.models import StationStaff
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory
from tests.stations.factories import StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed(station, territory):
    person = UserFactory(username="on_duty", display_name="王芳", phone="13812345678")
    from tests.factories import PostFactory

    PostFactory(user=person, area=territory.grid, role="grid_worker")
    StationStaff.objects.create(station=station, user=person, duty="周一上午")
    household = HouseholdFactory(grid=territory.grid, longitude=120.05, latitude=31.051)
    resident = ResidentFactory(household=household, name="李居民")
    return station, person, resident


def _public_pages(station):
    return [
        reverse("station_directory"),
        reverse("station_directory") + "?lat=31.05&lng=120.05",
        reverse("station_public", kwargs={"code": station.code}),
        reverse("station_poster", kwargs={"code": station.code}),
        reverse("grid_poster", kwargs={"code": station.grid.code}),
    ]


def test_public_pages_need_no_sign_in_and_leak_no_phone_or_resident(client, staffed):
    station, person, resident = staffed
    for url in _public_pages(station):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert person.phone not in body and "138" not in body, url
        assert person.username not in body, url
        assert resident.name not in body and resident.household.address not in body, url
        assert resident.phone not in body and resident.id_number not in body, url


def test_the_station_page_names_the_staff_on_duty_and_its_own_phone(client, staffed):
    station, _person, _resident = staffed
    body = client.get(reverse("station_public", kwargs={"code": station.code})).content.decode()
    assert "王芳" in body and "周一上午" in body
    assert "0519-8888 6666" in body  # the station's landline, formatted for reading
    assert 'class="station-map"' in body and "<circle" in body


def test_a_closed_or_unknown_station_is_a_404(client, station):
    station.is_open = False
    station.save()
    assert client.get(reverse("station_public", kwargs={"code": station.code})).status_code == 404
    assert client.get(reverse("station_poster", kwargs={"code": "NOPE"})).status_code == 404
    assert station.code not in client.get(reverse("station_directory")).content.decode()


@pytest.mark.parametrize("code", ["NOPE", "C1", "D", "G1-M1", "%E4%B8%AD", "x" * 300])
def test_the_grid_poster_is_a_404_for_anything_but_a_grid_never_a_500(client, territory, code):
    assert client.get(f"/r/{code}/poster/").status_code == 404


def test_posters_carry_a_qr_code_for_the_grids_request_form(client, station, centre, settings):
    settings.PUBLIC_BASE_URL = "https://grid.example.gov.cn"
    for url, target in [
        (reverse("station_poster", kwargs={"code": station.code}), "/r/G1/"),
        (reverse("station_poster", kwargs={"code": centre.code}), "/r/G1/"),  # stands in G1
        (reverse("grid_poster", kwargs={"code": "G1"}), "/r/G1/"),
    ]:
        body = client.get(url).content.decode()
        assert "<svg" in body and 'class="segno"' in body
        assert f"https://grid.example.gov.cn{target}" in body
        assert "<script>" not in body and "style=" not in body.split('class="poster"')[1]


def test_the_qr_code_decodes_to_the_printed_link(client, station, settings):
    import segno

    settings.PUBLIC_BASE_URL = ""  # unset: the address the poster was opened at

    expected = "http://testserver/r/G1/"
    body = client.get(reverse("station_poster", kwargs={"code": station.code})).content.decode()
    assert expected in body
    reference = segno.make(expected, error="m", micro=False)
    assert reference.svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff") in body


def test_the_directory_searches_name_area_and_address(client, station, centre, territory):
    StationFactory(code="G3-ZD", name="和平站", area=territory.far_grid, address="和平路8号")

    def codes(**params):
        response = client.get(reverse("station_directory"), params)
        return [s.code for s in response.context["stations"]]

    assert codes(q="幸福第一") == ["G1-ZD"]
    assert codes(q="和平社区") == ["G3-ZD"]  # by the area's name
    assert codes(q="和平路") == ["G3-ZD"]
    assert codes(kind="centre") == ["C1-ZX"]
    assert len(codes()) == 3


def test_nearest_to_me_sorts_by_distance_and_shows_it(client, station, centre, territory):
    StationFactory(code="G3-ZD", area=territory.far_grid, longitude=120.1, latitude=31.15)
    response = client.get(reverse("station_directory"), {"lat": "31.021", "lng": "120.021"})
    stations = response.context["stations"]
    assert [s.code for s in stations] == ["C1-ZX", "G1-ZD", "G3-ZD"]
    assert 100 < stations[0].distance < 200  # ~142 m
    assert "Nearest first" in response.content.decode()


def test_bad_coordinates_are_ignored_not_an_error(client, station, centre):
    response = client.get(
        reverse("station_directory"), {"lat": "999", "lng": "abc", "q": "服务中心"}
    )
    assert response.status_code == 200 and not response.context["near"]
    assert [s.code for s in response.context["stations"]] == ["C1-ZX"]


def test_station_photos_are_public_activity_photos_are_not(client, station_photo, activity_photo):
    photo = client.get(
        reverse(
            "station_photo", kwargs={"code": station_photo.station.code, "pk": station_photo.pk}
        )
    )
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert b"".join(photo.streaming_content).startswith(b"\xff\xd8")
    private = client.get(reverse("activity_photo", kwargs={"pk": activity_photo.pk}))
    assert private.status_code == 302  # to the sign-in page
    wrong_station = client.get(
        reverse("station_photo", kwargs={"code": "OTHER", "pk": station_photo.pk})
    )
    assert wrong_station.status_code == 404


def test_photos_are_never_under_media_root(client, station_photo, settings):
    assert not str(station_photo.image.path).startswith(str(settings.MEDIA_ROOT))
    assert client.get(f"{settings.MEDIA_URL}{station_photo.image.name}").status_code == 404


def test_public_pages_run_few_queries(client, station, django_assert_max_num_queries):
    for url in _public_pages(station):
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200


def test_a_retired_service_leaves_the_public_pages_but_not_the_record(client, station):
    from stations.models import ServiceType

    meals, legal = (
        ServiceType.objects.get(code="elderly_meals"),
        ServiceType.objects.get(code="legal_aid"),
    )
    station.services.set([meals, legal])
    legal.active = False
    legal.save()
    body = client.get(reverse("station_public", kwargs={"code": station.code})).content.decode()
    assert "Elderly meals" in body and "Legal aid" not in body
    assert "Legal aid" not in client.get(reverse("station_directory")).content.decode()
    assert set(station.services.all()) == {meals, legal}
