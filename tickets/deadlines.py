"""Deadlines in Asia/Shanghai time, counting working days where the catalogue says so.

"3 working days" from Friday 15:00 ends Wednesday at the close of the working day (18:00):
weekends and public holidays do not count, weekend working days (调休) do.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tickets.models import CalendarDay, LimitUnit

WORKDAY_END = dt.time(18, 0)


def _exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return dict(
        CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_workday")
    )


def is_workday(day: dt.date, exceptions: dict[dt.date, bool]) -> bool:
    return exceptions.get(day, day.weekday() < 5)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The close of the ``days``-th working day after ``start``'s day (one query)."""
    local = timezone.localtime(start)
    # Holidays run at most nine days; this window always holds the answer.
    exceptions = _exceptions(local.date(), local.date() + dt.timedelta(days=days * 2 + 14))
    day, counted = local.date(), 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day, exceptions):
            counted += 1
    return timezone.make_aware(dt.datetime.combine(day, WORKDAY_END))


def due(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit == LimitUnit.HOURS:
        return start + dt.timedelta(hours=amount)
    if unit == LimitUnit.DAYS:
        return start + dt.timedelta(days=amount)
    return add_working_days(start, amount)
