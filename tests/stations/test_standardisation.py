"""四有三规范: seven items; a station is standardised when its latest inspection passes all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stations import services
from stations.models import FOUR_HAVES, THREE_NORMS, Item, Station
from tests.stations.factories import inspect, upload

pytestmark = pytest.mark.django_db


def _standing(station):
    return Station.objects.with_standing().get(pk=station.pk)


def _all(passed=True, **overrides):
    results = {item: {"passed": passed, "note": ""} for item in Item.values}
    for item, value in overrides.items():
        results[item] = value
    return results


def test_the_standard_has_four_haves_and_three_norms():
    assert len(FOUR_HAVES) == 4 and len(THREE_NORMS) == 3
    assert set(FOUR_HAVES) | set(THREE_NORMS) == set(Item.values)


def test_a_station_never_inspected_is_not_standardised(station):
    row = _standing(station)
    assert row.standardised is False and row.last_inspected_on is None


@pytest.mark.parametrize(
    ("earlier_failed", "later_failed", "standardised"),
    [
        ([], [], True),
        (["sign"], [], True),  # fixed since
        ([], ["plaque"], False),  # slipped since
        (["sign"], ["grid_map", "duties"], False),
    ],
)
def test_the_latest_inspection_decides(station, earlier_failed, later_failed, standardised):
    inspect(station, on=dt.date(2026, 1, 10), failed=earlier_failed)
    inspect(station, on=dt.date(2026, 6, 10), failed=later_failed)
    row = _standing(station)
    assert row.standardised is standardised
    assert row.last_inspected_on == dt.date(2026, 6, 10)


def test_an_older_inspection_entered_late_does_not_override_a_newer_one(station):
    inspect(station, on=dt.date(2026, 6, 10))
    inspect(station, on=dt.date(2026, 1, 10), failed=["sign"])  # recorded afterwards
    assert _standing(station).standardised is True


def test_two_inspections_on_one_day_the_later_record_wins(station):
    inspect(station, on=dt.date(2026, 6, 10))
    inspect(station, on=dt.date(2026, 6, 10), failed=["sign"])
    assert _standing(station).standardised is False


def test_recording_an_inspection_judges_all_seven(street_officer, station):
    inspection = services.record_inspection(
        by=street_officer,
        station=station,
        inspected_on=dt.date(2026, 5, 1),
        results=_all(sign={"passed": False, "note": "标识褪色", "photo": upload()}),
    )
    assert inspection.passed is False
    assert inspection.items.count() == 7
    sign = inspection.items.get(item="sign")
    assert sign.note == "标识褪色" and sign.photo.name.endswith(".jpg")
    assert inspection.inspector == street_officer


def test_an_item_left_out_is_refused(street_officer, station):
    results = _all()
    del results["plaque"]
    with pytest.raises(ValidationError) as caught:
        services.record_inspection(by=street_officer, station=station, results=results)
    assert "Plaque" in caught.value.messages[0]
    assert not station.inspections.exists()


def test_a_future_inspection_is_refused(street_officer, station):
    with pytest.raises(ValidationError):
        services.record_inspection(
            by=street_officer,
            station=station,
            inspected_on=dt.date.today() + dt.timedelta(days=1),
            results=_all(),
        )


def test_a_bad_item_photo_saves_nothing(street_officer, station):
    with pytest.raises(ValidationError) as caught:
        services.record_inspection(
            by=street_officer,
            station=station,
            results=_all(grid_map={"passed": True, "photo": upload("m.jpg", b"not an image")}),
        )
    assert "photo_grid_map" in caught.value.message_dict
    assert not station.inspections.exists()


def test_who_may_inspect(station, own_worker, street_officer, district_officer, community_officer):
    with pytest.raises(PermissionDenied):  # the station's own team does not inspect it
        services.record_inspection(by=own_worker, station=station, results=_all())
    for user in (community_officer, street_officer, district_officer):
        services.record_inspection(by=user, station=station, results=_all())
    assert station.inspections.count() == 3
