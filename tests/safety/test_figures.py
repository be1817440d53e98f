import datetime as dt

import pytest
from django.utils import timezone

from grids.models import Area
from safety.figures import DEFINITIONS, figures
from safety.models import Patrol
from safety.services import record_patrol
from tests.safety.fixtures import answers_for
from visits.models import Place, PlaceKind

pytestmark = pytest.mark.django_db


def test_definitions_name_every_figure():
    keys = [d.key for d in DEFINITIONS]
    assert len(keys) == len(set(keys)) == 9
    assert all(str(d.definition) for d in DEFINITIONS)


def test_figures_count_patrols_hazards_and_schedule(safety_hazard, territory, own_worker):
    # A second place in G1, last patrolled 70 days ago: a shop is due every 60.
    old = Place.objects.create(grid=territory.grid, name="旧店", kind=PlaceKind.SHOP)
    record_patrol(
        by=own_worker,
        place=old,
        answers=answers_for(old),
        at=timezone.now() - dt.timedelta(days=70),
    )
    today = timezone.localdate()
    first = today - dt.timedelta(days=30)
    result = figures([territory.grid, territory.street, territory.other_street], first, today)
    grid = result[territory.grid.pk]
    assert grid["places_active"] == 2
    assert grid["places_on_schedule"] == 1
    assert grid["places_due"] == 1
    assert grid["on_schedule_share"] == 0.5
    assert grid["patrols"] == 1  # the old one is before the period
    assert grid["hazards_found"] == 1
    assert grid["major_hazards"] == 0
    assert grid["hazards_open"] == 1
    assert grid["hazards_overdue"] == 0
    assert result[territory.street.pk] == grid
    other = result[territory.other_street.pk]
    assert other["places_active"] == 0 and other["on_schedule_share"] is None


def test_overdue_is_as_of_today(safety_hazard, territory):
    safety_hazard.fix_by = timezone.localdate() - dt.timedelta(days=1)
    safety_hazard.save()
    today = timezone.localdate()
    assert figures([territory.grid], today, today)[territory.grid.pk]["hazards_overdue"] == 1


def test_a_fixed_number_of_queries_for_one_or_many_areas(
    safety_patrol, territory, django_assert_num_queries
):
    assert Patrol.objects.count() == 1
    today = timezone.localdate()
    with django_assert_num_queries(4):
        figures([territory.grid], today, today)
    areas = list(Area.objects.all())
    with django_assert_num_queries(4):
        result = figures(areas, today - dt.timedelta(days=365), today)
    assert result[territory.district.pk]["patrols"] == 1
