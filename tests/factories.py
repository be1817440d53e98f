"""factory-boy factories. Areas are built through the service, so tests meet the real rules."""

from __future__ import annotations

import datetime as dt
import io
import random

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.personal import id_check_character
from grids import services
from grids.models import Household, Post, Resident

_rng = random.Random(7)


def box(west: float, south: float, east: float, north: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


_serial = iter(range(1, 10**6))


def make_id_number(born: dt.date | None = None, male: bool = True) -> str:
    """A valid, unique ID number (each call a new birth date and sequence)."""
    n = next(_serial)
    born = born or dt.date(1950, 1, 1) + dt.timedelta(days=n * 7)
    sequence = (n * 2 + (1 if male else 0)) % 1000
    first17 = f"320412{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


def make_mobile() -> str:
    return f"13{_rng.randrange(0, 10**9):09d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pw-for-tests-2026")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    user = factory.SubFactory(UserFactory)
    role = Post.Role.GRID_WORKER
    started_on = factory.LazyFunction(lambda: dt.date(2025, 1, 1))


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    address = factory.Sequence(lambda n: f"幸福花园{n // 12 + 1}幢{n % 12 + 1:02d}室")


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"居民{n}")
    id_number = factory.LazyFunction(make_id_number)
    phone = factory.LazyFunction(make_mobile)
    relationship = Resident.Relationship.HEAD


def area(parent, code, level, bounds, **extra):
    return services.create_area(
        by=None,
        parent=parent,
        code=code,
        name=extra.pop("name", code),
        level=level,
        boundary=box(*bounds) if bounds else None,
        **extra,
    )


def jpeg(name="photo.jpg", size=(64, 48), colour=(200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
