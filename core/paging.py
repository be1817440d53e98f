"""A paginator that never counts a whole list: at district scale a COUNT over a filtered or
searched list costs more than the page itself (issue 27)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Rows counted at most before a list says "more than": 40 pages of 25.
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows, or a page beyond the one asked for if that is further: past
    it the list says "more than N" (``capped``) and always offers the next page. ``count``
    given (a kept tally, say) is used as it is."""

    def __init__(
        self,
        object_list,
        per_page: int,
        *,
        asked=None,
        count: int | None = None,
        cap: int = COUNT_CAP,
    ) -> None:
        super().__init__(object_list, per_page)
        try:
            page = max(int(asked), 1)
        except (TypeError, ValueError):
            page = 1
        self.look = max(cap, (page + 1) * per_page)
        self._given = count

    @cached_property
    def _counted(self) -> int:
        if self._given is not None:
            return self._given
        # SELECT COUNT(*) FROM (… LIMIT look + 1): the database stops at look + 1 rows, in
        # whatever order is cheapest (kept, the order would walk the newest-first index).
        rows = self.object_list
        if hasattr(rows, "order_by"):
            rows = rows.order_by()
        return rows[: self.look + 1].count()

    @cached_property
    def capped(self) -> bool:
        return self._given is None and self._counted > self.look

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.look) if self._given is None else self._given
