"""Nightly: the current and the previous month's drafts, for every street and town."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from appraisal import services
from appraisal.models import month_start
from grids.models import Area
from grids.roles import Level


def compute_recent(today: dt.date | None = None) -> int:
    """Recompute the drafts of this month and the last, street by street; published cards
    stay as they are. Returns how many drafts were written."""
    this_month = month_start(today or timezone.localdate())
    last_month = month_start(this_month - dt.timedelta(days=1))
    written = 0
    for street in Area.objects.filter(level__in=[Level.STREET, Level.TOWN]).order_by("path"):
        for month in (last_month, this_month):
            written += services.compute_month(area=street, month=month)
    return written


@shared_task
def compute_scorecards() -> int:
    return compute_recent()


def propose_all(today: dt.date | None = None) -> int:
    """The month's promotion proposals, street by street. Returns how many were made."""
    from appraisal import ladder_services

    today = today or timezone.localdate()
    made = 0
    for street in Area.objects.filter(level__in=[Level.STREET, Level.TOWN]).order_by("path"):
        made += len(ladder_services.propose_promotions(area=street, today=today))
    return made


@shared_task
def propose_promotions(area_ids: list[int] | None = None) -> int:
    """Monthly, after the scorecards: the proposals of the given streets (all by default)."""
    if not area_ids:
        return propose_all()
    from appraisal import ladder_services

    return sum(
        len(ladder_services.propose_promotions(area=area))
        for area in Area.objects.filter(pk__in=area_ids).order_by("path")
    )
