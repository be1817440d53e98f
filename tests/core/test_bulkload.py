"""core.bulkload: COPY writes the rows bulk_create would, ids set on the objects."""

import datetime as dt

import pytest

from core.bulkload import create_all, load_rows
from dashboards.models import AreaMix
from grids.models import Household, Resident
from tests.factories import make_id_number, make_mobile

pytestmark = pytest.mark.postgres


def test_create_all_writes_what_bulk_create_would_and_sets_the_ids(territory):
    homes = [Household(grid=territory.grid, address=f"幸福花园{n}室") for n in range(3)]
    people = [
        Resident(household=home, name=f"居民{n}", id_number=make_id_number(), phone=make_mobile())
        for n, home in enumerate(homes)
    ]

    create_all(Household, homes)
    create_all(Resident, people)

    assert all(home.pk for home in homes) and all(person.pk for person in people)
    for person in people:
        stored = Resident.objects.get(pk=person.pk)
        assert stored.household_id == person.household.pk
        # Encrypted at rest, found by its keyed hash and its last four digits, as if saved.
        assert stored.id_number == person.id_number and stored.phone == person.phone
        assert Resident.objects.filter(phone_last4=person.phone[-4:], pk=person.pk).exists()
        assert stored.created_at is not None
    # The sequence moved past the ids drawn: the next save gets a fresh one.
    later = Household.objects.create(grid=territory.grid, address="幸福花园99室")
    assert later.pk > max(home.pk for home in homes)


def test_load_rows_copies_the_values_given(territory, matter):
    load_rows(
        AreaMix,
        ["area", "day", "channel", "category", "received", "resolved"],
        [(territory.grid.pk, dt.date(2026, 3, 1), "qr", matter.category_id, 3, 1)],
    )

    row = AreaMix.objects.get()
    assert (row.area, row.received, row.resolved) == (territory.grid, 3, 1)
