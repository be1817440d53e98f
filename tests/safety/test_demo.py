"""The demo's year of safety patrols in QH-S01-C01."""

import pytest
from django.utils import timezone

from safety.models import Hazard, Patrol

pytestmark = pytest.mark.django_db


def test_the_demo_community_has_a_year_of_patrols_and_hazards(demo):
    patrols = Patrol.objects.all()
    assert patrols.count() > 50
    first = min(patrols.values_list("at", flat=True))
    assert (timezone.now() - first).days > 300
    hazards = Hazard.objects.all()
    assert hazards.filter(status=Hazard.Status.CLOSED).count() > hazards.count() / 2
    assert hazards.exclude(status=Hazard.Status.CLOSED).exists()
    assert 1 <= hazards.overdue().count() <= 6
    major = hazards.get(severity="major")
    assert major.ticket is not None
