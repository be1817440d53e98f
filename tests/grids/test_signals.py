"""What grids tells the apps to its right without importing them (grids/signals.py)."""

import pytest

from grids import services
from grids.models import Area, CareCategory, Resident
from grids.signals import visit_interval_changed
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    calls = []

    def receiver(sender, household_ids, **kwargs):
        calls.append(household_ids)

    visit_interval_changed.connect(receiver)
    yield calls
    visit_interval_changed.disconnect(receiver)


def test_each_change_that_sets_a_households_visit_interval_is_told(sent, territory):
    officer = UserFactory(username="both_communities")
    for community in (territory.community, territory.other_community):
        PostFactory(user=officer, area=community, role="community_staff")
    household = services.create_household(by=officer, grid=territory.grid, address="1幢1")
    resident = services.create_resident(
        by=officer, household=household, name="王奶奶", care=[CareCategory.ELDERLY_ALONE]
    )
    services.update_resident(by=officer, resident=resident, status=Resident.Status.MOVED_OUT)
    services.update_household(by=officer, household=household, grid=Area.objects.get(code="G3"))
    assert sent == [[household.pk]] * 4


def test_changes_that_leave_the_interval_alone_tell_nobody(sent, own_worker, resident):
    services.update_household(by=own_worker, household=resident.household, note="门口有狗")
    services.update_resident(by=own_worker, resident=resident, name="改个名")
    services.update_resident(by=own_worker, resident=resident, care=[])  # had none
    assert sent == []
