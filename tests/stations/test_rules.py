"""Station rules: levels, location, phone, one centre per community, staff, permissions,
uploads, activities and people served. All through stations.services, as pages call it."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grids.roles import Role
from stations import services
from stations.models import Kind, MonthlyServed, Station
from tests.factories import PostFactory, UserFactory
from tests.stations.factories import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_leader(territory):
    user = UserFactory(username="grid_leader")
    PostFactory(user=user, area=territory.grid, role=Role.GRID_LEADER)
    return user


def _create(by, area, **fields):
    values = {
        "code": "NEW-1",
        "name": "新站点",
        "kind": Kind.GRID_STATION,
        "address": "幸福路1号",
        "longitude": 120.05,
        "latitude": 31.05,
    }
    values.update(fields)
    return services.create_station(by=by, area=area, **values)


def test_a_community_officer_adds_a_grid_station_that_knows_its_grid(community_officer, territory):
    station = _create(community_officer, territory.grid, phone="0519-8888 6666")
    assert station.grid == territory.grid
    assert station.phone == "051988886666"


def test_a_centre_serves_the_community_and_stands_in_the_grid_holding_its_point(
    community_officer, territory
):
    centre = _create(
        community_officer, territory.community, kind=Kind.CENTRE, longitude=120.15, latitude=31.05
    )
    assert centre.area == territory.community
    assert centre.grid == territory.neighbour_grid


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        (Kind.GRID_STATION, "community"),  # a grid station serves a grid
        (Kind.CENTRE, "grid"),  # a centre serves a community or village
        (Kind.RIDER_STOP, "street"),  # nothing serves a street directly
        (Kind.OTHER, "micro"),
    ],
)
def test_a_kind_serves_only_its_levels(kind, where, territory, community_officer):
    area = getattr(territory, where)
    with pytest.raises(ValidationError) as caught:
        _create(None, area, kind=kind, longitude=120.02, latitude=31.02)
    assert "area" in caught.value.message_dict
    assert not Station.objects.exists()


def test_the_location_must_lie_inside_the_area_served(community_officer, territory):
    with pytest.raises(ValidationError) as caught:
        _create(community_officer, territory.grid, longitude=120.15, latitude=31.05)  # in G2
    assert caught.value.message_dict["longitude"] == ["This location lies outside 幸福第一网格."]
    # A fix on the boundary line (within ~10 m) is still inside.
    assert _create(community_officer, territory.grid, longitude=120.10005, latitude=31.05)


def test_coordinates_must_be_real(community_officer, territory):
    with pytest.raises(ValidationError) as caught:
        _create(community_officer, territory.grid, longitude=200, latitude=31.05)
    assert "longitude" in caught.value.message_dict


@pytest.mark.parametrize("phone", ["12345", "0519-123", "2888 6666", "138001380000", "abc"])
def test_a_bad_phone_is_refused(phone, community_officer, territory):
    with pytest.raises(ValidationError) as caught:
        _create(community_officer, territory.grid, phone=phone)
    assert "phone" in caught.value.message_dict


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("0519-8888 6666", "051988886666"),
        ("(010) 6555 1234", "01065551234"),
        ("+86 138-0013-8000", "13800138000"),
        ("", ""),
    ],
)
def test_landlines_and_mobiles_are_accepted_and_normalised(
    phone, stored, community_officer, territory
):
    assert _create(community_officer, territory.grid, phone=phone).phone == stored


def test_a_community_has_one_open_centre(community_officer, territory):
    _create(community_officer, territory.community, kind=Kind.CENTRE, code="C1-A")
    with pytest.raises(ValidationError) as caught:
        _create(community_officer, territory.community, kind=Kind.CENTRE, code="C1-B")
    assert "kind" in caught.value.message_dict
    # A closed one may stay on record beside the new one.
    closed = _create(
        community_officer, territory.community, kind=Kind.CENTRE, code="C1-C", is_open=False
    )
    assert not closed.is_open


def test_codes_are_unique_and_permanent(community_officer, territory, station):
    with pytest.raises(ValidationError) as caught:
        _create(community_officer, territory.grid, code=station.code)
    assert "code" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.update_station(by=community_officer, station=station, code="OTHER")


def test_only_community_staff_and_grid_leaders_manage_stations(
    territory, own_worker, street_officer, district_officer, community_officer, grid_leader
):
    for user in (own_worker, street_officer, district_officer):
        with pytest.raises(PermissionDenied):
            _create(user, territory.grid)
    assert _create(grid_leader, territory.grid, code="BY-LEADER")
    with pytest.raises(PermissionDenied):  # a grid leader does not run the community centre
        _create(grid_leader, territory.community, kind=Kind.CENTRE, code="C1-X")
    assert _create(community_officer, territory.grid, code="BY-OFFICER")


def test_moving_a_station_needs_the_right_at_both_ends(grid_leader, territory, station):
    with pytest.raises(PermissionDenied):
        services.update_station(
            by=grid_leader,
            station=station,
            area=territory.neighbour_grid,
            longitude=120.15,
            latitude=31.05,
        )
    station.refresh_from_db()
    assert station.area == territory.grid


def test_editing_moves_the_standing_grid_along(community_officer, territory, centre):
    assert centre.grid == territory.grid
    moved = services.update_station(
        by=community_officer, station=centre, longitude=120.15, latitude=31.05
    )
    assert moved.grid == territory.neighbour_grid and moved.version == 2


def test_staff_on_duty_must_hold_a_post_in_the_community(
    community_officer, territory, own_worker, neighbour_worker, station
):
    stranger = UserFactory(username="stranger")
    PostFactory(user=stranger, area=territory.far_grid, role=Role.GRID_WORKER)  # C2
    services.update_station(
        by=community_officer, station=station, staff=[own_worker, neighbour_worker]
    )
    assert set(station.staff.all()) == {own_worker, neighbour_worker}
    with pytest.raises(ValidationError) as caught:
        services.update_station(by=community_officer, station=station, staff=[stranger])
    assert caught.value.message_dict["staff"] == [f"{stranger} hold no post in this community."]
    services.update_station(by=community_officer, station=station, staff=[own_worker])
    assert list(station.staff.all()) == [own_worker]


def test_a_non_image_upload_is_refused_and_nothing_is_stored(community_officer, station):
    with pytest.raises(ValidationError) as caught:
        services.add_station_photo(
            by=community_officer, station=station, image=upload("x.jpg", b"MZ" + b"\0" * 100)
        )
    assert "image" in caught.value.message_dict
    assert not station.photos.exists()


def test_an_oversized_image_is_refused(community_officer, station, settings):
    settings.IMAGE_MAX_PIXELS = 50 * 50
    with pytest.raises(ValidationError) as caught:
        services.add_station_photo(
            by=community_officer, station=station, image=upload(width=100, height=100)
        )
    assert "megapixels" in caught.value.message_dict["image"][0]


def test_a_photo_is_stored_cleaned_in_private_storage(community_officer, station, settings):
    photo = services.add_station_photo(
        by=community_officer, station=station, image=upload(), caption="外景"
    )
    assert photo.image.name.startswith("stationphoto/") and photo.image.name.endswith(".jpg")
    assert photo.image.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))


def test_deleting_a_photo_removes_the_file_after_commit(
    community_officer, station, django_capture_on_commit_callbacks
):
    photo = services.add_station_photo(by=community_officer, station=station, image=upload())
    path = photo.image.path
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_station_photo(by=community_officer, photo=photo)
    assert not os.path.exists(path)


def test_an_activity_is_logged_by_the_team_with_photos(own_worker, station):
    activity = services.log_activity(
        by=own_worker,
        station=station,
        title="义诊",
        kind="consultation",
        attendance=40,
        held_on=dt.date(2026, 1, 10),
        photos=[upload(), upload(fmt="PNG", name="b.png")],
    )
    assert activity.photos.count() == 2 and activity.recorded_by == own_worker


def test_an_activity_cannot_be_logged_ahead(own_worker, station):
    with pytest.raises(ValidationError) as caught:
        services.log_activity(
            by=own_worker,
            station=station,
            title="未来",
            kind="other",
            attendance=1,
            held_on=dt.date.today() + dt.timedelta(days=3),
        )
    assert "held_on" in caught.value.message_dict


def test_too_many_activity_photos_are_refused(own_worker, station):
    with pytest.raises(ValidationError):
        services.log_activity(
            by=own_worker,
            station=station,
            title="x",
            kind="other",
            attendance=1,
            photos=[upload() for _ in range(services.MAX_ACTIVITY_PHOTOS + 1)],
        )


def test_people_served_is_one_number_per_month(own_worker, station):
    services.record_served(by=own_worker, station=station, month=dt.date(2026, 2, 14), people=120)
    row = services.record_served(
        by=own_worker, station=station, month=dt.date(2026, 2, 1), people=150
    )
    assert MonthlyServed.objects.get().people == 150 and row.month == dt.date(2026, 2, 1)
    with pytest.raises(ValidationError):
        services.record_served(
            by=own_worker,
            station=station,
            month=dt.date.today().replace(day=1) + dt.timedelta(days=40),
            people=1,
        )


def test_officers_above_cannot_log_activities(street_officer, station):
    with pytest.raises(PermissionDenied):
        services.record_served(
            by=street_officer, station=station, month=dt.date(2026, 1, 1), people=1
        )


def test_image_bytes_helper_makes_real_images():
    assert image_bytes().startswith(b"\xff\xd8")
