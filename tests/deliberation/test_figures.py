"""The dashboards' figures of 议事协商: values, the period rule, and a fixed number of queries."""

import datetime as dt

import pytest
from django.utils import timezone

from deliberation import services
from deliberation.figures import DEFINITIONS, figures
from grids.models import Area


def test_every_figure_has_a_definition():
    keys = [d.key for d in DEFINITIONS]
    assert keys == sorted(set(keys), key=keys.index)
    assert set(keys) == {
        "topics_raised",
        "topics_accepted",
        "meetings",
        "decisions",
        "objections",
        "projects_started",
        "projects_completed",
        "budget_total",
        "average_rating",
    }


def test_a_completed_project_counts_up_to_the_district(territory, completed_project):
    services.rate_project(project=completed_project, phone="13800000000", stars=5)
    services.rate_project(project=completed_project, phone="13800000001", stars=4)
    services.object_to(
        decision=completed_project.topic.decision,
        phone="13700000000",
        text="x",
        at=completed_project.topic.decision.published_at,
    )
    today = timezone.localdate()
    areas = [territory.district, territory.community, territory.grid, territory.neighbour_grid]
    result = figures(areas, today - dt.timedelta(days=30), today)
    for area in areas[:3]:
        values = result[area.pk]
        assert values["topics_raised"] == 1
        assert values["topics_accepted"] == 1
        assert values["meetings"] == 1
        assert values["decisions"] == 1
        assert values["objections"] == 1
        assert values["projects_started"] == 1
        assert values["projects_completed"] == 1
        assert values["budget_total"] == 280000.0
        assert values["average_rating"] == 4.5
    neighbour = result[territory.neighbour_grid.pk]
    assert neighbour["topics_raised"] == 0 and neighbour["average_rating"] is None


def test_the_period_is_respected(territory, completed_project):
    today = timezone.localdate()
    result = figures(
        [territory.community], today - dt.timedelta(days=400), today - dt.timedelta(days=60)
    )
    assert result[territory.community.pk]["topics_raised"] == 0
    assert result[territory.community.pk]["budget_total"] == 0


@pytest.mark.parametrize("many", [False, True])
def test_a_fixed_number_of_queries(territory, completed_project, many, django_assert_num_queries):
    areas = list(Area.objects.all()) if many else [territory.community]
    today = timezone.localdate()
    with django_assert_num_queries(6):
        figures(areas, today - dt.timedelta(days=30), today)
