"""Visit fixtures in the shared territory: a shop to patrol in grid G1."""

import pytest

from visits.models import Place, PlaceKind


@pytest.fixture
def place(territory):
    return Place.objects.create(
        grid=territory.grid, name="幸福便利店", kind=PlaceKind.SHOP, address="幸福路1号"
    )


@pytest.fixture
def visit_plan_own(territory):
    """Community C1's own visit plan."""
    from visits.models import VisitPlan

    return VisitPlan.objects.create(area=territory.community, routine_days=60)
