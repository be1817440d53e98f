"""Working days in Asia/Shanghai time: Monday to Friday, less public holidays, plus the
weekend working days (调休) the State Council moves them to. The exceptions are CalendarDay
rows (core/models.py), seeded here for 2024–2026; district staff add the later years on the
calendar page (tickets/calendar.py), and from 1 November /healthz and the pages warn while
next year has none. Request deadlines count with them (tickets/deadlines.py). Nothing here is
cached: every count reads the rows, so a change applies to the next deadline computed (those
already set on requests stay as they were).

"3 working days" from Friday 15:00 ends Wednesday at the close of the working day (18:00).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.models import CalendarDay

WORKDAY_END = dt.time(18, 0)
# The State Council publishes next year's schedule in late autumn; from this day on a year
# without it is worth a warning.
WARN_FROM = (11, 1)

HOLIDAYS = {
    2024: [
        "01-01",
        "02-12",
        "02-13",
        "02-14",
        "02-15",
        "02-16",
        "04-04",
        "04-05",
        "05-01",
        "05-02",
        "05-03",
        "06-10",
        "09-16",
        "09-17",
        "10-01",
        "10-02",
        "10-03",
        "10-04",
        "10-07",
    ],
    2025: [
        "01-01",
        "01-28",
        "01-29",
        "01-30",
        "01-31",
        "02-03",
        "02-04",
        "04-04",
        "05-01",
        "05-02",
        "05-05",
        "06-02",
        "10-01",
        "10-02",
        "10-03",
        "10-06",
        "10-07",
        "10-08",
    ],
    2026: [
        "01-01",
        "01-02",
        "02-16",
        "02-17",
        "02-18",
        "02-19",
        "02-20",
        "02-23",
        "04-06",
        "05-01",
        "05-04",
        "05-05",
        "06-19",
        "09-25",
        "10-01",
        "10-02",
        "10-05",
        "10-06",
        "10-07",
    ],
}
WORKING_WEEKENDS = {
    2024: ["02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12"],
    2025: ["01-26", "02-08", "04-27", "09-28", "10-11"],
    2026: ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"],
}


def _exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return dict(
        CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_workday")
    )


def is_workday(day: dt.date, exceptions: dict[dt.date, bool]) -> bool:
    return exceptions.get(day, day.weekday() < 5)


def missing_year(today: dt.date | None = None) -> int | None:
    """Next year, from 1 November, while it has no CalendarDay row (deadlines then would count
    Monday to Friday only); else None."""
    today = today or timezone.localdate()
    if (today.month, today.day) < WARN_FROM:
        return None
    year = today.year + 1
    return None if CalendarDay.objects.filter(date__year=year).exists() else year


def health_check() -> dict:
    """A warning, not a fault: every node still serves, deadlines just need next year's days
    before January, and a monitor watching "degraded" should not page anyone at night."""
    year = missing_year()
    if year is None:
        return {"ok": True}
    return {
        "ok": True,
        "warning": f"no holidays or adjusted working days for {year} yet: "
        "district staff add them on the calendar page",
    }


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


def fill_calendar(model) -> None:
    """Add the default holidays and weekend working days that are missing (``model``: a
    historical CalendarDay from a migration works too)."""
    for year, days in HOLIDAYS.items():
        for day in days:
            model.objects.get_or_create(
                date=dt.date.fromisoformat(f"{year}-{day}"),
                defaults={"is_workday": False, "note": "holiday"},
            )
    for year, days in WORKING_WEEKENDS.items():
        for day in days:
            model.objects.get_or_create(
                date=dt.date.fromisoformat(f"{year}-{day}"),
                defaults={"is_workday": True, "note": "adjusted working day"},
            )
