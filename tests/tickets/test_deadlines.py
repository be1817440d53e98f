import datetime as dt
import zoneinfo

import pytest
import time_machine

from core.models import CalendarDay
from core.workdays import add_working_days
from tickets.deadlines import due
from tickets.models import LimitUnit

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def test_working_days_skip_the_weekend():
    # Friday 15:00 + 3 working days: Monday, Tuesday, Wednesday; due at the close of Wednesday.
    assert add_working_days(at(2026, 11, 20, 15), 3) == at(2026, 11, 25, 18)


def test_working_days_skip_a_holiday_and_count_an_adjusted_saturday():
    # 30 Sep 2026 + 3: 1–7 Oct is National Day; Thu 8, Fri 9, and Sat 10 Oct (调休) count.
    assert add_working_days(at(2026, 9, 30, 10), 3) == at(2026, 10, 10, 18)
    # Spring Festival 2026: Sat 14 Feb is a working day, 16–23 Feb are not.
    assert add_working_days(at(2026, 2, 13, 9), 3) == at(2026, 2, 25, 18)


def test_a_request_made_at_the_weekend_counts_from_monday():
    assert add_working_days(at(2026, 11, 21, 10), 1) == at(2026, 11, 23, 18)


def test_a_holiday_added_in_the_admin_moves_the_deadline():
    CalendarDay.objects.create(date=dt.date(2027, 3, 2), is_workday=False, note="test")
    assert add_working_days(at(2027, 3, 1, 9), 1) == at(2027, 3, 3, 18)


def test_hours_and_calendar_days_ignore_the_calendar():
    start = at(2026, 10, 1, 9)
    assert due(start, 4, LimitUnit.HOURS) == at(2026, 10, 1, 13)
    assert due(start, 2, LimitUnit.DAYS) == at(2026, 10, 3, 9)


def test_a_ticket_accepted_on_friday_is_due_after_the_weekend(territory, matter, dispatcher):
    from tickets import services
    from tickets.models import Channel

    with time_machine.travel(at(2026, 11, 20, 16, 30)):
        ticket = services.submit(
            channel=Channel.QR,
            matter=matter,
            description="杂物",
            reporter_phone="13812345678",
            grid=territory.grid,
        )
        assert ticket.response_due == at(2026, 11, 20, 20, 30)  # 4 hours
        ticket = services.accept(by=dispatcher, ticket=ticket)
    assert ticket.completion_due == at(2026, 11, 25, 18)  # 3 working days
