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
    return _tallied(area, "households", Household.objects.all(), "")


def tallied_residents(area: Area) -> int:
    """Residents living under ``area``, counted as ``tallied_households`` counts households."""
    living = Resident.objects.filter(status=Resident.Status.LIVING)
    return _tallied(area, "residents", living, "household__")


def _tallied(area: Area, tally: str, rows, via: str) -> int:
    if area.depth < GRID_DEPTH:
        return (
            GridTally.objects.filter(grid__path__startswith=area.path).aggregate(n=Sum(tally))["n"]
            or 0
        )
    if area.depth == GRID_DEPTH:
        return rows.filter(**{f"{via}grid": area}).count()
    return rows.filter(**{f"{via}micro_grid": area}).count()
