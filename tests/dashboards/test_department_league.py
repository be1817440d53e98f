"""The monthly league table of departments (dashboards/departments.py), figures computed by
hand over summonses made directly: two streets, two months (March and April 2026).

S1's requests: t1, t2, t3 in G1 (community C1), t4 in G3 (C2); S2's: t5 in G4.
Ratings: t1 5, t2 3, t3 none, t4 4, t5 1. Departments: P(olice), C(ity), H(ousing).

| dept | request | summoned | ack due / acked         | part due / reported    |
|------|---------|----------|-------------------------|------------------------|
| P    | t1      | 3-01     | 12:00 / 11:00 on time   | 3-05 / 3-04 on time    |
| P    | t2      | 3-10     | 12:00 / 13:00 late      | 3-20 / 3-25 late       |
| P    | t4      | 3-30     | 12:00 / 11:00 on time   | 4-03 / 4-02 on time    |
| C    | t1      | 3-01     | 12:00 / never           | 3-08 / never           |
| C    | t3      | 3-15     | 12:00 / 10:30 on time   | 3-18 / 3-17 on time    |
| H    | t2      | 3-10     | withdrawn: counts nowhere                        |
| H    | t3      | 2-27     | 12:00 / 11:00 on time   | 3-03 / 3-04 late       |
| C    | t2      | 4-02     | 12:00 / 11:00 on time   | 4-10 / 4-09 on time    |
| P    | t5 (S2) | 3-05     | 12:00 / 11:00 on time   | 3-10 / 3-09 on time    |
| H    | t5 (S2) | 3-05     | 12:00 / 13:00 late      | 3-10 / 3-12 late       |

Joint actions: 3-12 in C1 with P and C; 3-20 in C2 with P; 4-05 in C1 with C; 3-07 in S2's
community C3 with P and H.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import departments
from grids.models import Area
from tests.tickets.fixtures import reported
from tickets.models import Department, JointAction, Summons, SummonsState, Ticket

pytestmark = pytest.mark.django_db

MARCH = departments.Month(dt.date(2026, 3, 1))
APRIL = departments.Month(dt.date(2026, 4, 1))
LATER = timezone.make_aware(dt.datetime(2026, 5, 10, 9, 0))


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute))


def summon(ticket, department, summoned, acked, due, reported_at, *, role="co", state=None):
    return Summons.objects.create(
        ticket=ticket,
        department=department,
        role=role,
        state=state or (SummonsState.DONE if reported_at else SummonsState.ACKNOWLEDGED),
        summoned_at=summoned,
        acknowledge_due=summoned.replace(hour=12, minute=0),
        acknowledged_at=acked,
        completion_due=due,
        reported_at=reported_at,
    )


@pytest.fixture
def scene(territory, matter):
    t1, t2, t3 = reported(territory, matter, n=3)
    (t4,) = reported(territory, matter, grid=territory.far_grid)
    (t5,) = reported(territory, matter, grid=territory.other_street_grid)
    for ticket, rating in ((t1, 5), (t2, 3), (t4, 4), (t5, 1)):
        Ticket.objects.filter(pk=ticket.pk).update(rating=rating)
    P = Department.objects.create(code="p", name_en="Police", name_zh="派出所")
    C = Department.objects.create(code="c", name_en="City", name_zh="城管")
    H = Department.objects.create(code="h", name_en="Housing", name_zh="住建")
    summon(t1, P, at(3, 1), at(3, 1, 11), at(3, 5), at(3, 4), role="lead")
    summon(t2, P, at(3, 10), at(3, 10, 13), at(3, 20), at(3, 25), role="lead")
    summon(t4, P, at(3, 30), at(3, 30, 11), at(4, 3), at(4, 2), role="lead")
    summon(t1, C, at(3, 1), None, at(3, 8), None, state=SummonsState.SUMMONED)
    summon(t3, C, at(3, 15), at(3, 15, 10, 30), at(3, 18), at(3, 17), role="lead")
    summon(t2, H, at(3, 10), None, at(3, 20), None, state=SummonsState.WITHDRAWN)
    summon(t3, H, at(2, 27), at(2, 27, 11), at(3, 3), at(3, 4))
    summon(t2, C, at(4, 2), at(4, 2, 11), at(4, 10), at(4, 9))
    summon(t5, P, at(3, 5), at(3, 5, 11), at(3, 10), at(3, 9), role="lead")
    summon(t5, H, at(3, 5), at(3, 5, 13), at(3, 10), at(3, 12))
    for area, day, present in (
        (territory.community, dt.date(2026, 3, 12), [P, C]),
        (territory.other_community, dt.date(2026, 3, 20), [P]),
        (territory.community, dt.date(2026, 4, 5), [C]),
        (Area.objects.get(code="C3"), dt.date(2026, 3, 7), [P, H]),
    ):
        action = JointAction.objects.create(area=area, date=day, place="-", outcome="-")
        action.departments.set(present)
    return P, C, H


def figures(row) -> tuple:
    return (
        row.department.code,
        row.summoned,
        (row.acknowledged_on_time, row.acknowledge_settled, row.acknowledged_share),
        (row.parts_on_time, row.parts_settled, row.parts_share),
        (row.rated, row.rating),
        row.joint_actions,
    )


D = Decimal


def test_a_streets_march_by_hand(territory, scene):
    rows = departments.league(territory.street, MARCH, now=LATER)
    assert [figures(row) for row in rows] == [
        ("p", 3, (2, 3, D("66.7")), (1, 2, D("50.0")), (3, D("4.00")), 2),
        ("c", 2, (1, 2, D("50.0")), (1, 2, D("50.0")), (1, D("5.00")), 1),
        # Summoned in February, its part due in March (late); the withdrawn one counts nowhere.
        ("h", 0, (0, 0, None), (0, 1, D("0.0")), (0, None), 0),
    ]


def test_the_other_street_sees_only_its_own_requests_summonses(territory, scene):
    rows = departments.league(territory.other_street, MARCH, now=LATER)
    assert [figures(row) for row in rows] == [
        ("p", 1, (1, 1, D("100.0")), (1, 1, D("100.0")), (1, D("1.00")), 1),
        ("h", 1, (0, 1, D("0.0")), (0, 1, D("0.0")), (1, D("1.00")), 1),
    ]


def test_the_district_sees_every_street(territory, scene):
    rows = departments.league(territory.district, MARCH, now=LATER)
    assert [figures(row) for row in rows] == [
        ("p", 4, (3, 4, D("75.0")), (2, 3, D("66.7")), (4, D("3.25")), 3),
        ("c", 2, (1, 2, D("50.0")), (1, 2, D("50.0")), (1, D("5.00")), 1),
        ("h", 1, (0, 1, D("0.0")), (0, 2, D("0.0")), (1, D("1.00")), 1),
    ]


def test_april_counts_the_part_due_in_april_of_a_march_summons(territory, scene):
    rows = departments.league(territory.street, APRIL, now=LATER)
    assert [figures(row) for row in rows] == [
        # Acknowledged on time 1 of 1 ranks before a department with no summons this month.
        ("c", 1, (1, 1, D("100.0")), (1, 1, D("100.0")), (1, D("3.00")), 1),
        ("p", 0, (0, 0, None), (1, 1, D("100.0")), (0, None), 0),
    ]


def test_a_limit_not_yet_passed_neither_helps_nor_hurts(territory, scene):
    # At 11:30 on March 1st the city's acknowledge limit (12:00) and its part (March 8th) are
    # still ahead: only what is settled counts (t3's, acknowledged and reported).
    rows = departments.league(territory.street, MARCH, now=at(3, 1, 11, 30))
    city = next(row for row in rows if row.department.code == "c")
    assert figures(city)[2:4] == ((1, 1, D("100.0")), (1, 1, D("100.0")))


def test_a_community_sees_its_own_grids_only(territory, scene):
    rows = departments.league(territory.community, MARCH, now=LATER)
    police = next(row for row in rows if row.department.code == "p")
    assert figures(police) == ("p", 2, (1, 2, D("50.0")), (1, 2, D("50.0")), (2, D("4.00")), 1)


@pytest.mark.parametrize(
    "sort, order",
    [
        ("summoned", ["p", "c", "h"]),
        ("satisfaction", ["c", "p", "h"]),
        ("parts", ["p", "c", "h"]),
        ("joint_actions", ["p", "c", "h"]),
        ("nonsense", ["p", "c", "h"]),
    ],
)
def test_the_table_sorts_by_a_column(territory, scene, sort, order):
    rows = departments.league(territory.district, MARCH, sort=sort, now=LATER)
    assert [row.department.code for row in rows] == order


def test_the_page_shows_the_month_and_links_from_the_dashboard(client, territory, scene, persona):
    persona("street_officer")
    url = reverse("dashboard_departments", kwargs={"code": territory.street.code})
    response = client.get(url + "?month=2026-03&sort=satisfaction")
    assert response.status_code == 200
    assert [row.department.code for row in response.context["rows"]] == ["c", "p", "h"]
    page = response.content.decode()
    assert "66.7%" in page and "4.00" in page
    assert "?month=2026-02" in page and "?month=2026-04" in page
    board = client.get(reverse("dashboard", kwargs={"code": territory.street.code}))
    assert url in board.content.decode()


def test_a_bad_month_means_this_month(client, territory, scene, persona):
    persona("street_officer")
    url = reverse("dashboard_departments", kwargs={"code": territory.street.code})
    response = client.get(url + "?month=2026-13")
    assert response.context["period"].key == f"{timezone.localdate():%Y-%m}"


def test_the_excel_file_has_the_counts_behind_the_shares(client, territory, scene, persona):
    from io import BytesIO

    from openpyxl import load_workbook

    persona("district_officer")
    url = reverse("dashboard_departments_export", kwargs={"code": territory.district.code})
    response = client.get(url + "?month=2026-03")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2] == (1, "Police", 4, 4, 3, 75.0, 3, 2, 66.7, 4, 3.25, 3)
    assert rows[4][:3] == (3, "Housing", 1)


def _departments_with_summonses(territory, matter, n: int, start: int = 0) -> None:
    (ticket,) = reported(territory, matter)
    for i in range(start, start + n):
        department = Department.objects.create(code=f"d{i:02}", name_en=f"D{i}", name_zh=f"部门{i}")
        summon(ticket, department, at(3, 2), at(3, 2, 11), at(3, 6), at(3, 5))
        action = JointAction.objects.create(
            area=territory.community, date=dt.date(2026, 3, 3), place="-", outcome="-"
        )
        action.departments.add(department)
        action.tickets.add(ticket)


@pytest.mark.parametrize("n", [1, 20])
def test_the_figures_cost_three_queries_whatever_the_number_of_departments(
    territory, matter, n, django_assert_num_queries
):
    _departments_with_summonses(territory, matter, n)
    with django_assert_num_queries(3):
        rows = departments.league(territory.street, MARCH, now=LATER)
    assert len(rows) == n and all(row.joint_actions == 1 for row in rows)


def test_the_page_runs_the_same_queries_for_one_or_twenty_departments(
    client, territory, matter, persona
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    persona("street_officer")
    url = reverse("dashboard_departments", kwargs={"code": territory.street.code})

    def count():
        client.get(url + "?month=2026-03")
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url + "?month=2026-03")
        assert response.status_code == 200
        return len(response.context["rows"]), len(ctx.captured_queries)

    _departments_with_summonses(territory, matter, 1)
    rows, one = count()
    assert rows == 1
    _departments_with_summonses(territory, matter, 19, start=1)
    rows, twenty = count()
    assert rows == 20 and twenty == one
