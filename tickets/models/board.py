"""The dispatch board's kept counts (``BoardTally``): how many requests of each state-based tab
an area holds, so that the board never counts requests per page view (issue 27)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Area

# The board's tabs that depend only on a request's state (not on the clock): the ones kept
# here. "overdue" changes as time passes with no write, so it is counted live (and capped).
TALLIED_TABS = ("new", "unassigned", "review", "escalated", "open")


class BoardTally(models.Model):
    """Signed changes to an area's tab counts: the area's counts are the SUM of its rows.

    On PostgreSQL a trigger on tickets_ticket (migration 0020) inserts a row in the same
    transaction as every write that moves a request into or out of a tab, whoever writes:
    services, the sweep, imports, raw SQL. Inserting, never updating, keeps concurrent
    transitions in one grid from queueing on (or deadlocking over) a shared counter row;
    ``tickets.board_tallies.fold`` sums each area's rows into one every few minutes, and
    ``refresh_board_tallies`` recounts nightly (healing drift). SQLite has no trigger: the
    board counts live there (small data)."""

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("area")
    )
    new = models.IntegerField(default=0)
    unassigned = models.IntegerField(default=0)
    review = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    open = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("board tally")
        verbose_name_plural = _("board tallies")

    def __str__(self) -> str:
        tabs = (self.new, self.unassigned, self.review, self.escalated, self.open)
        return f"{self.area_id}: {'/'.join(map(str, tabs))}"
