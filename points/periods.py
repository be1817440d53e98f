"""Ranking periods: a month ("2026-11"), a half-year ("2026-H2") or a year ("2026")."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|H(?P<half>[12])))?$")


@dataclass(frozen=True)
class Period:
    key: str
    first: dt.date
    last: dt.date
    kind: str  # "month" | "half" | "year"

    @property
    def label(self) -> str:
        year = self.first.year
        if self.kind == "year":
            return _("%(year)s") % {"year": year}
        if self.kind == "half":
            if self.first.month == 1:
                return _("%(year)s, first half") % {"year": year}
            return _("%(year)s, second half") % {"year": year}
        return _("%(year)s-%(month)s") % {"year": year, "month": f"{self.first.month:02d}"}

    def __str__(self) -> str:
        return self.label

    @property
    def ended(self) -> bool:
        return self.last < timezone.localdate()


def parse(key: str | None) -> Period | None:
    match = _PATTERN.match(key or "")
    if not match:
        return None
    year = int(match["year"])
    if not 2000 <= year <= 2100:
        return None
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            return None
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        return Period(key, first, last, "month")
    if match["half"]:
        if match["half"] == "1":
            return Period(key, dt.date(year, 1, 1), dt.date(year, 6, 30), "half")
        return Period(key, dt.date(year, 7, 1), dt.date(year, 12, 31), "half")
    return Period(key, dt.date(year, 1, 1), dt.date(year, 12, 31), "year")


def containing(day: dt.date, kind: str) -> Period:
    if kind == "month":
        return parse(f"{day.year}-{day.month:02d}")
    if kind == "half":
        return parse(f"{day.year}-H{1 if day.month <= 6 else 2}")
    return parse(str(day.year))


def choices(today: dt.date | None = None) -> list[Period]:
    """What a period picker offers: this year and last, their halves, the last 12 months."""
    today = today or timezone.localdate()
    periods = [parse(str(today.year)), parse(str(today.year - 1))]
    for year in (today.year, today.year - 1):
        for half in ("2", "1"):
            period = parse(f"{year}-H{half}")
            if period.first <= today:
                periods.append(period)
    month = today.replace(day=1)
    for _i in range(12):
        periods.append(parse(f"{month.year}-{month.month:02d}"))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return periods
