"""The working-day calendar's page: district staff keep next year's holidays and 调休, and
from 1 November /healthz, the operations page and the page itself warn while they are missing."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from core.models import CalendarDay
from core.workdays import add_working_days, missing_year

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def _add(client, **data):
    return client.post(reverse("calendar"), {"note": "", "end": "", **data}, follow=True)


def test_a_district_officer_adds_a_holiday_and_the_deadline_moves(client, district_officer):
    client.force_login(district_officer)
    # Monday 1 March 2027 + 1 working day: Tuesday, until Tuesday is a holiday.
    assert add_working_days(at(2027, 3, 1, 9), 1) == at(2027, 3, 2, 18)
    response = _add(client, start="2027-03-02", kind="holiday", note="测试")
    assert response.status_code == 200
    assert "2027-03-02 added to the calendar." in response.content.decode()
    day = CalendarDay.objects.get(date=dt.date(2027, 3, 2))
    assert (day.is_workday, day.note) == (False, "测试")
    assert add_working_days(at(2027, 3, 1, 9), 1) == at(2027, 3, 3, 18)
    entry = LogEntry.objects.get_for_object(day).get()
    assert entry.actor == district_officer


def test_a_holiday_week_is_added_as_a_range_without_its_weekend(client, district_officer):
    client.force_login(district_officer)
    # 春节 2027 as a test range: Monday 15 to Sunday 21 February.
    response = _add(client, start="2027-02-15", end="2027-02-21", kind="holiday", note="春节")
    assert "5 days added to the calendar." in response.content.decode()
    days = CalendarDay.objects.filter(date__year=2027)
    assert [d.date.day for d in days] == [15, 16, 17, 18, 19]
    assert {(d.is_workday, d.note) for d in days} == {(False, "春节")}
    # Friday 12 February + 1 working day: the week is off, so Monday 22.
    assert add_working_days(at(2027, 2, 12, 9), 1) == at(2027, 2, 22, 18)


def test_a_weekend_working_day_counts(client, district_officer):
    client.force_login(district_officer)
    _add(client, start="2027-02-13", kind="workday", note="春节调休")
    assert CalendarDay.objects.get(date=dt.date(2027, 2, 13)).is_workday
    # Friday 12 + 1: the Saturday works.
    assert add_working_days(at(2027, 2, 12, 9), 1) == at(2027, 2, 13, 18)


def test_a_day_already_in_the_calendar_is_refused_and_nothing_is_added(client, district_officer):
    client.force_login(district_officer)
    CalendarDay.objects.create(date=dt.date(2027, 2, 17), is_workday=False, note="春节")
    response = _add(client, start="2027-02-15", end="2027-02-19", kind="holiday")
    assert response.status_code == 200
    assert "Already in the calendar: 2027-02-17" in response.content.decode()
    assert CalendarDay.objects.filter(date__year=2027).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "2027-02-19", "end": "2027-02-15", "kind": "holiday"}, "before the first"),
        ({"start": "2027-01-01", "end": "2027-03-01", "kind": "holiday"}, "At most 31 days"),
        ({"start": "2027-02-20", "kind": "holiday"}, "already weekend days"),
        ({"start": "2027-02-15", "kind": "workday"}, "already working days"),
        ({"start": "not a date", "kind": "holiday"}, "Enter a valid date"),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(client, district_officer, data, message):
    client.force_login(district_officer)
    response = _add(client, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_a_district_officer_deletes_a_day_and_the_deadline_moves_back(client, district_officer):
    client.force_login(district_officer)
    day = CalendarDay.objects.create(date=dt.date(2027, 3, 2), is_workday=False)
    assert add_working_days(at(2027, 3, 1, 9), 1) == at(2027, 3, 3, 18)
    response = client.post(reverse("calendar_delete", args=[day.pk]))
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    assert add_working_days(at(2027, 3, 1, 9), 1) == at(2027, 3, 2, 18)


def test_the_page_lists_the_years_with_their_days(client, district_officer):
    client.force_login(district_officer)
    page = client.get(reverse("calendar")).content.decode()
    # The seeded years: National Day 2026, and a 调休 Saturday.
    assert "2026-10-01" in page and "2026-10-10" in page
    # The latest year first: the one being filled in.
    assert page.index("2026-10-01") < page.index("2025-10-01") < page.index("2024-10-01")
    assert reverse("calendar_delete", args=[CalendarDay.objects.get(date="2026-10-01").pk]) in page


@pytest.mark.parametrize("name", ["own_worker", "street_officer", "community_officer"])
def test_others_do_not_find_the_page_nor_its_link(client, request, name):
    user = request.getfixturevalue(name)
    client.force_login(user)
    day = CalendarDay.objects.create(date=dt.date(2027, 3, 2), is_workday=False)
    assert client.get(reverse("calendar")).status_code == 404
    assert (
        client.post(reverse("calendar"), {"start": "2027-03-03", "kind": "holiday"}).status_code
        == 404
    )
    assert client.post(reverse("calendar_delete", args=[day.pk])).status_code == 404
    assert CalendarDay.objects.filter(date__year=2027).count() == 1
    assert reverse("calendar") not in client.get(reverse("profile")).content.decode()


def test_district_staff_find_the_link_in_the_menu(client, district_officer):
    client.force_login(district_officer)
    assert reverse("calendar") in client.get(reverse("profile")).content.decode()


# --- The warning while next year is missing -------------------------------------------------


@pytest.fixture
def no_2027():
    CalendarDay.objects.filter(date__year=2027).delete()


def test_no_warning_before_november(no_2027):
    with time_machine.travel(at(2026, 10, 31, 23, 30)):
        assert missing_year() is None


def test_a_warning_from_november_until_next_year_has_a_day(no_2027):
    with time_machine.travel(at(2026, 11, 1, 0, 30)):
        assert missing_year() == 2027
        CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
        assert missing_year() is None


def test_healthz_warns_of_the_missing_year_and_stays_ok(client, no_2027):
    # A to-do for district staff, not a fault of the node: status stays "ok" (a monitor
    # watching "degraded" pages nobody), the warning is listed for those who read it.
    with time_machine.travel(at(2026, 10, 31, 12)):
        body = client.get("/healthz").json()
        assert body["checks"]["calendar"] == {"ok": True}
        assert "warnings" not in body
    with time_machine.travel(at(2026, 11, 1, 12)):
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["checks"]["calendar"]["ok"] is True  # so it never makes it "degraded"
        assert "2027" in body["checks"]["calendar"]["warning"]
        assert body["warnings"] == [body["checks"]["calendar"]["warning"]]
        CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
        assert client.get("/healthz").json()["checks"]["calendar"] == {"ok": True}


def test_the_operations_page_and_the_calendar_page_warn_from_november(
    client, district_officer, no_2027
):
    client.force_login(district_officer)
    warning = "no public holidays or adjusted working days for 2027"
    with time_machine.travel(at(2026, 10, 31, 12)):
        assert warning not in client.get(reverse("operations")).content.decode()
        assert "for 2027 yet" not in client.get(reverse("calendar")).content.decode()
    with time_machine.travel(at(2026, 11, 1, 12)):
        page = client.get(reverse("operations")).content.decode()
        assert warning in page
        assert f'href="{reverse("calendar")}"' in page
        assert "for 2027 yet" in client.get(reverse("calendar")).content.decode()
        CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
        assert warning not in client.get(reverse("operations")).content.decode()
        assert "for 2027 yet" not in client.get(reverse("calendar")).content.decode()


def test_a_day_added_meanwhile_is_refused_with_a_message(district_officer, monkeypatch):
    """Two officers adding the same week at once: the unique date stops the second."""
    from django.core.exceptions import ValidationError

    from tickets import services

    real_filter = CalendarDay.objects.filter

    def racing_filter(*args, **kwargs):
        found = real_filter(*args, **kwargs)
        if not CalendarDay.objects.all().filter(date=dt.date(2027, 2, 17)).exists():
            CalendarDay.objects.bulk_create(
                [CalendarDay(date=dt.date(2027, 2, 17), is_workday=False)]
            )
        return found.none()

    monkeypatch.setattr(CalendarDay.objects, "filter", racing_filter)
    with pytest.raises(ValidationError, match="just added"):
        services.add_calendar_days(
            by=district_officer,
            start=dt.date(2027, 2, 15),
            end=dt.date(2027, 2, 19),
            is_workday=False,
        )
    monkeypatch.undo()
    # The other officer's row shared this test's transaction, so it went too; nothing of ours.
    assert not CalendarDay.objects.filter(date__year=2027).exists()
