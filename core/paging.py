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
    given (a kept tally, say) is used as it is; with ``at_least``, it means "more than
    ``count``" (a tab counted only so far)."""

    def __init__(
        self,
        object_list,
        per_page: int,
        *,
        asked=None,
        count: int | None = None,
        at_least: bool = False,
        cap: int = COUNT_CAP,
    ) -> None:
        super().__init__(object_list, per_page)
        try:
            page = max(int(asked), 1)
        except (TypeError, ValueError):
            page = 1
        self.look = max(cap, (page + 1) * per_page)
        self._given = count
        if count is not None and at_least:
            # Counted elsewhere only so far (a tab's capped count): enough for pages before
            # the last it covers; further on, counted here as far as the page asked.
            if (page + 1) * per_page <= count:
                self.look, self._given = count, None
                self._counted_at_least = count + 1
            else:
                self._given = None

    _counted_at_least: int | None = None

    @cached_property
    def _counted(self) -> int:
        if self._given is not None:
            return self._given
        if self._counted_at_least is not None:
            return self._counted_at_least
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
