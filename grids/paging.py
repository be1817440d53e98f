"""How many households a list holds, without counting every one per request: the grid
tallies (kept by a task) above a grid, a capped count of a search's matches ("More than 100").
The pages themselves are ``core.paging.KnownCountPaginator``'s.
"""

from __future__ import annotations

from django.db.models import Sum

from grids.models import Area, GridTally, Household, Resident
from grids.roles import GRID_DEPTH

# A search or a filter counts at most this many matches ("More than 100 households"): a search
# is for finding someone, and past a hundred the answer is a narrower query. Counting a sparse
# match that far walks ~30,000 households at worst (grids.search.PROBE); a care category in a
# street, counted to 1,000, took 200 ms at district scale, and to 100 takes 4-14 ms.
SEARCH_COUNT_CAP = 100


def tallied_households(area: Area) -> int:
    """Households under ``area``: the grid tallies summed above a grid (never a count of the
    raw rows), a live count in one grid or micro-grid, which is small and shows a new
    household at once."""
    if area.depth < GRID_DEPTH:
        return (
            GridTally.objects.filter(grid__path__startswith=area.path).aggregate(
                n=Sum("households")
            )["n"]
            or 0
        )
    if area.depth == GRID_DEPTH:
        return Household.objects.filter(grid=area).count()
    return Household.objects.filter(micro_grid=area).count()


def tallied_residents(area: Area) -> int:
    """Residents living under ``area``, counted as ``tallied_households`` counts households."""
    if area.depth < GRID_DEPTH:
        return (
            GridTally.objects.filter(grid__path__startswith=area.path).aggregate(
                n=Sum("residents")
            )["n"]
            or 0
        )
    living = Resident.objects.filter(status=Resident.Status.LIVING)
    if area.depth == GRID_DEPTH:
        return living.filter(household__grid=area).count()
    return living.filter(household__micro_grid=area).count()
