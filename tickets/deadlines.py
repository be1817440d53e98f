"""Deadlines in Asia/Shanghai time, counting working days where the catalogue says so.

Working days are core's (core/workdays.py): weekends and public holidays do not count,
weekend working days (调休) do.
"""

from __future__ import annotations

import datetime as dt

from core.workdays import add_working_days
from tickets.models import LimitUnit


def due(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit == LimitUnit.HOURS:
        return start + dt.timedelta(hours=amount)
    if unit == LimitUnit.DAYS:
        return start + dt.timedelta(days=amount)
    return add_working_days(start, amount)
