"""The demo's year of 议事协商 in QH-S01-C01: work at every step, projects rated."""

import pytest
from django.db.models import Max, Min
from django.utils import timezone

from deliberation.models import Project, Rating, Topic

pytestmark = pytest.mark.django_db


def test_the_demo_community_has_a_year_of_topics_with_work_at_every_step(demo):
    topics = Topic.objects.all()
    assert topics.count() >= 20
    span = topics.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert (timezone.now() - span["first"]).days > 300
    states = set(topics.values_list("status", flat=True))
    for waiting in (
        Topic.Status.RAISED,
        Topic.Status.ACCEPTED,
        Topic.Status.DECIDED,
        Topic.Status.FOLLOW_UP,
        Topic.Status.DONE,
    ):
        assert waiting in states, waiting
    projects = Project.objects.all()
    assert projects.filter(completed_on__isnull=True).exists()
    assert projects.filter(completed_on__isnull=False).count() >= 5
    assert Rating.objects.filter(project__completed_on__isnull=False).count() > 30
