"""Station factories and test images. Stations stand where their area says (a point inside
it) unless a test places them; photos go through core.images like every upload."""

from __future__ import annotations

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.images import clean_image
from stations.models import Inspection, InspectionItem, Item, Kind, Station
from stations.services import standing_grid


def image_bytes(width: int = 64, height: int = 48, fmt: str = "JPEG", **save) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" and save.pop("alpha", False) else "RGB"
    Image.new(mode, (width, height), (200, 30, 30, 128)[: len(mode)]).save(buffer, fmt, **save)
    return buffer.getvalue()


def upload(name: str = "photo.jpg", content: bytes | None = None, **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else image_bytes(**kwargs))


def clean_photo():
    return clean_image(io.BytesIO(image_bytes()))


def _point(station, axis: int) -> float:
    point = station.area.geometry.representative_point()
    return round(point.x if axis == 0 else point.y, 6)


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    code = factory.Sequence(lambda n: f"ST-{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}党群直通站")
    kind = Kind.GRID_STATION
    address = factory.Sequence(lambda n: f"幸福路{n}号")
    longitude = factory.LazyAttribute(lambda s: _point(s, 0))
    latitude = factory.LazyAttribute(lambda s: _point(s, 1))
    opening_hours = "周一至周五 9:00–17:00"
    phone = "051988886666"
    grid = factory.LazyAttribute(lambda s: standing_grid(s.area, s.longitude, s.latitude))


def inspect(station, *, on, failed=(), by=None) -> Inspection:
    """An inspection row with all seven items, ``failed`` ones failing (no service rules)."""
    inspection = Inspection.objects.create(
        station=station, inspected_on=on, inspector=by, passed=not failed
    )
    InspectionItem.objects.bulk_create(
        InspectionItem(inspection=inspection, item=item, passed=item not in failed)
        for item in Item.values
    )
    return inspection
