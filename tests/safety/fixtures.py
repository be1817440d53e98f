"""Safety fixtures: the default checklists, a patrol of the shop in G1 with its first item
failed (a photo taken), and the hazard it left."""

import pytest

from safety.demo import load_defaults
from safety.models import ChecklistItem
from safety.services import Answer, record_patrol
from tests.factories import jpeg


@pytest.fixture
def safety_checklists(db):
    load_defaults()
    return ChecklistItem.objects.all()


def answers_for(place, failed=(), photo=True):
    """Every active item of ``place``'s kind passed except the items in ``failed`` (pks)."""
    items = ChecklistItem.objects.filter(place_kind=place.kind, active=True)
    return [
        Answer(
            item_id=i.pk,
            passed=i.pk not in failed,
            note="" if i.pk not in failed else "灭火器过期",
            photos=[jpeg()] if i.pk in failed and photo else [],
        )
        for i in items
    ]


@pytest.fixture
def safety_patrol(safety_checklists, place, own_worker):
    first = ChecklistItem.objects.filter(place_kind=place.kind, active=True).first()
    return record_patrol(
        by=own_worker,
        place=place,
        answers=answers_for(place, failed={first.pk}),
        responsible_name="王老板",
        responsible_phone="13912345678",
    )


@pytest.fixture
def safety_hazard(safety_patrol):
    return safety_patrol.answers.get(passed=False).hazard


@pytest.fixture
def safety_photo(safety_patrol):
    return safety_patrol.answers.get(passed=False).photos.get()
