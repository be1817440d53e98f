"""Pages of long lists that never count every row per request (issue 27).

At district scale a ``COUNT(*)`` over a list (600,000 households, two million requests) costs
more than the page itself. ``KnownCountPaginator`` takes its count from elsewhere (a kept tally)
or from ``capped_count`` ("more than 1,000"), and reads one row beyond the page, so the "next"
link follows the rows themselves: a tally a moment stale never hides a row or promises a page
that is not there, and a capped count is corrected once the rows show where the list ends.
"""

from __future__ import annotations

import math

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class KnownCountPaginator(Paginator):
    """A paginator whose ``count`` is given; ``at_least`` when there are more than ``count``
    rows (a capped count)."""

    def __init__(self, object_list, per_page: int, *, count: int, at_least: bool = False):
        super().__init__(object_list, per_page)
        self.count = count  # replaces the cached_property: no COUNT query
        self.at_least = at_least

    @cached_property
    def num_pages(self) -> int:
        if self.at_least:
            return math.ceil((self.count + 1) / self.per_page)
        return super().num_pages

    def validate_number(self, number) -> int:
        if not self.at_least:
            return super().validate_number(number)
        # Past the capped count the rows decide (page() raises EmptyPage on an empty one).
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            # Past the end: count what lies before this page (no further than OFFSET would
            # read anyway), so that get_page() lands on the last page.
            self._settle(self.object_list.order_by()[:bottom].count())
            raise EmptyPage(self.error_messages["no_results"])
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        seen = bottom + len(rows)
        if more and seen >= self.count:
            self._settle(seen, at_least=True)  # the given count was short: more than seen
        elif not more and seen != self.count:
            self._settle(seen)  # the list ends here: now the count is exact
        return self._get_page(rows, number, self)

    def get_page(self, number) -> Page:
        try:
            return super().get_page(number)
        except EmptyPage:
            # Past the end the rows showed (a count a moment stale): the last page by them.
            try:
                return self.page(self.num_pages)
            except EmptyPage:
                return self.page(1)

    def _settle(self, count: int, *, at_least: bool = False) -> None:
        self.count = count
        self.at_least = at_least
        self.__dict__.pop("num_pages", None)
        self.__dict__.pop("page_range", None)


def capped_count(rows: QuerySet, cap: int) -> tuple[int, bool]:
    """How many of ``rows`` there are, counting at most ``cap`` + 1: (count, at_least).
    ``SELECT COUNT(*) FROM (… LIMIT cap + 1)``: the database stops there, in whatever order
    is cheapest."""
    n = rows.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


def page_number(asked) -> int:
    """The page a request asks for, 1 for anything that is not a positive number."""
    try:
        return max(int(asked), 1)
    except (TypeError, ValueError):
        return 1
