"""Shared station fixtures: targets of the access matrix, all in the own worker's grid G1.

Loaded as a pytest plugin by tests/conftest.py, so every test directory sees them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from stations.models import Activity, ActivityPhoto, Kind, StationPhoto
from tests.stations.factories import StationFactory, clean_photo, inspect


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded photos of each test land in its own folder, never in var/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def station(territory):
    """An open grid station serving G1, standing in G1."""
    return StationFactory(
        code="G1-ZD",
        name="幸福第一网格党群直通站",
        area=territory.grid,
        longitude=120.05,
        latitude=31.05,
    )


@pytest.fixture
def centre(territory):
    """The service centre of community C1, standing in grid G1."""
    return StationFactory(
        code="C1-ZX",
        name="幸福社区党群服务中心",
        kind=Kind.CENTRE,
        area=territory.community,
        longitude=120.02,
        latitude=31.02,
    )


@pytest.fixture
def station_photo(station):
    return StationPhoto.objects.create(station=station, caption="外景", image=clean_photo())


@pytest.fixture
def inspection(station):
    return inspect(station, on=dt.date(2026, 3, 1), failed=["sign"])


@pytest.fixture
def inspection_item(inspection):
    item = inspection.items.get(item="sign")
    item.photo = clean_photo()
    item.save()
    return item


@pytest.fixture
def activity(station):
    return Activity.objects.create(
        station=station,
        held_on=dt.date(2026, 3, 5),
        title="主题党日活动",
        kind="party_day",
        attendance=30,
    )


@pytest.fixture
def activity_photo(activity):
    return ActivityPhoto.objects.create(activity=activity, image=clean_photo())
