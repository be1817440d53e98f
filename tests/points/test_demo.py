"""The demo's year of points adds up and leaves work waiting for each demo account."""

import pytest

from points.models import Declaration, Entry, HonourPeriod, Redemption
from points.services import check_balances

pytestmark = pytest.mark.django_db


def test_the_demo_year_of_points_adds_up_and_leaves_work_waiting(demo):
    assert check_balances() == []
    kinds = set(Entry.objects.values_list("kind", flat=True))
    assert {"earn", "redeem", "expiry"} <= kinds
    assert Redemption.objects.exists() and HonourPeriod.objects.exists()
    assert Declaration.objects.filter(origin="ticket").exists()
    mine = Declaration.objects.filter(created_by__username="parttime")
    assert mine.filter(state="declared").count() == 2  # for the convener ("leader")
    assert mine.filter(state="collected", batch__state="submitted").count() == 2  # community
    assert mine.filter(state="approved", public_until__isnull=False).exists()
    # Every entry of an approved item cites the rule version it was paid under.
    assert not Entry.objects.filter(kind="earn", rule_version__isnull=True).exists()
