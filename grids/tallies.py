"""Households and living residents counted per grid (``GridTally``): kept by a task after
each change and by a periodic job that heals drift."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from grids.models import Area, GridTally, Household, Resident


@transaction.atomic
def refresh_tallies(*, grid_ids: Iterable[int] | None = None) -> int:
    """Recount households and living residents for ``grid_ids`` (all grids when None)."""
    grids = Area.objects.grids()
    households = Household.objects.all()
    residents = Resident.objects.filter(status=Resident.Status.LIVING)
    if grid_ids is not None:
        ids = list(grid_ids)
        grids = grids.filter(pk__in=ids)
        households = households.filter(grid_id__in=ids)
        residents = residents.filter(household__grid_id__in=ids)
    household_counts = dict(
        households.values("grid_id").annotate(n=Count("id")).values_list("grid_id", "n")
    )
    resident_counts = dict(
        residents.values("household__grid_id")
        .annotate(n=Count("id"))
        .values_list("household__grid_id", "n")
    )
    now = timezone.now()
    tallies = [
        GridTally(
            grid_id=grid_id,
            households=household_counts.get(grid_id, 0),
            residents=resident_counts.get(grid_id, 0),
            computed_at=now,
        )
        for grid_id in grids.values_list("pk", flat=True)
    ]
    GridTally.objects.bulk_create(
        tallies,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["grid"],
        update_fields=["households", "residents", "computed_at"],
    )
    return len(tallies)
