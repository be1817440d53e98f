"""The demo's visit history: due dates set on the households as they are built, and the visits
behind their last visit."""

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone

from grids.models import CareCategory, Household
from visits.models import Visit

pytestmark = pytest.mark.django_db


def test_the_demo_households_have_a_visit_history_and_due_dates(demo):
    households = Household.objects.all()
    assert not households.filter(visit_due_on__isnull=True).exists()
    never = households.filter(last_visited_at__isnull=True).count()
    assert 0 < never < households.count() * 0.2
    # Someone living alone in old age is due within a week of the last visit.
    alone = households.filter(
        last_visited_at__isnull=False, residents__care__category=CareCategory.ELDERLY_ALONE
    )
    assert alone.exists()
    for household in alone[:50]:
        last = timezone.localtime(household.last_visited_at).date()
        assert household.visit_due_on <= last + dt.timedelta(days=7)
    visits = Visit.objects.filter(household__isnull=False)
    assert visits.count() > households.count() * 0.5
    assert not visits.exclude(visited_at=F("household__last_visited_at")).exists()
