"""How many households a list holds, without counting every one per request: the grid
tallies (kept by a task) above a grid, a capped count of a search's matches ("More than 100").
The pages themselves are ``core.paging.KnownCountPaginator``'s.
"""

from __future__ import annotations

from django.db.models import Sum

from grids.models import Area, GridTally, Household
from grids.roles import GRID_DEPTH

# A search counts at most this many matches ("More than 100 households"): a search is for
# finding a household, and past a hundred the answer is a narrower query. Counting a sparse
# match that far walks ~30,000 households at worst (grids.search.PROBE).
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
