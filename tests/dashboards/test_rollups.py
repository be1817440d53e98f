"""The dashboards' rollups: figures equal a direct count of hand-made raw rows, the
incremental job follows every change, empty periods divide by nothing, and pages read a
constant number of queries."""

import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from dashboards import rollup, selectors
from dashboards.models import COUNTS, AreaDay
from grids.models import Area
from tests.factories import HouseholdFactory, jpeg
from tickets import services
from tickets.models import Channel, Status, Ticket
from visits.services import log_visit

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 10)
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=TZ)


def _at(hours: float) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(9), tzinfo=TZ) + dt.timedelta(hours=hours)


def _ticket(matter, grid, **fields) -> Ticket:
    with time_machine.travel(_at(0), tick=False):
        ticket = services.submit(
            channel=Channel.QR,
            matter=matter,
            description="楼道堆物",
            reporter_phone="13812345678",
            grid=grid,
        )
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    return ticket


@pytest.fixture
def raw(territory, matter, own_worker):
    """Four requests of DAY in G1 and G2 and two visits in G1, with known outcomes:

    - a: responded in 0.5 h, resolved in 20 h on time, 5 stars
    - b: responded in 3 h, resolved in 100 h after its deadline, 2 stars, escalated
    - c: responded in 30 h, still in progress and past its deadline
    - d (G2): rejected on the spot
    """
    a = _ticket(
        matter,
        territory.grid,
        status=Status.CLOSED,
        accepted_at=_at(0.5),
        resolved_at=_at(20),
        completion_due=_at(48),
        closed_at=_at(21),
        rating=5,
    )
    b = _ticket(
        matter,
        territory.grid,
        status=Status.CLOSED,
        accepted_at=_at(3),
        resolved_at=_at(100),
        completion_due=_at(48),
        closed_at=_at(101),
        rating=2,
        escalation_level=1,
    )
    c = _ticket(
        matter,
        territory.grid,
        status=Status.IN_PROGRESS,
        accepted_at=_at(30),
        completion_due=_at(72),
    )
    d = _ticket(matter, territory.neighbour_grid, status=Status.REJECTED, accepted_at=None)
    household = HouseholdFactory(grid=territory.grid)
    for hours in (1, 2):
        with time_machine.travel(_at(hours), tick=False):
            log_visit(by=own_worker, client_id=uuid.uuid4(), kind="routine", household=household)
    return a, b, c, d


def _board(area, first=DAY, last=DAY):
    with time_machine.travel(NOW, tick=False):
        return selectors.board(area, selectors.Span("custom", first, last))


def test_the_figures_are_what_a_hand_count_of_the_raw_rows_says(raw, territory):
    with time_machine.travel(NOW, tick=False):
        rollup.rebuild(DAY - dt.timedelta(days=3), NOW.date())
    board = _board(territory.community)
    f = board.figures
    assert (f.received, f.rejected, f.responded, f.resolved) == (4, 1, 3, 2)
    assert str(f.completion_rate) == "66.7"  # 2 resolved of 3 not rejected
    assert str(f.on_time_rate) == str(f.satisfaction_rate) == "50.0"
    assert (f.escalated, f.visits) == (1, 2)
    # Response 0.5 h, 3 h, 30 h → median ≤ 4 h, 90% ≤ 72 h; resolution 20 h, 100 h.
    assert (f.response_p50, f.response_p90) == (4, 72)
    assert (f.completion_p50, f.completion_p90) == (24, 168)
    assert (board.now.open_now, board.now.overdue_now) == (1, 1)
    league = {row[0].code: row[1] for row in board.children if row[0]}
    assert league[territory.grid.code].received == 3
    assert league[territory.neighbour_grid.code].completion_rate is None  # 0 ÷ 0: no figure
    # The district sees the same counts as the sum of its streets.
    assert _board(territory.district).figures.counts == f.counts


def test_an_empty_period_shows_no_rates_and_never_divides_by_zero(territory):
    f = _board(territory.district).figures
    assert f.received == 0
    assert None is f.completion_rate is f.on_time_rate is f.satisfaction_rate
    assert f.response_p50 is None and f.completion_p90 is None


def test_the_incremental_job_follows_every_change_and_a_rerun_changes_nothing(
    raw, territory, member_worker
):
    _a, _b, c, _d = raw
    with time_machine.travel(NOW, tick=False):
        rollup.rebuild(DAY, NOW.date())
        assert _board(territory.community).figures.resolved == 2
        ticket = Ticket.objects.get(pk=c.pk)
        ticket.assignee = member_worker
        ticket.save()
        services.resolve(by=member_worker, ticket=ticket, result="已清理", photos=[jpeg()])
        rollup.refresh()
        f = _board(territory.community).figures
        assert f.resolved == 3 and _board(territory.community).now.open_now == 0
        before = list(AreaDay.objects.order_by("area", "day").values(*COUNTS))
        rollup.refresh()
        assert list(AreaDay.objects.order_by("area", "day").values(*COUNTS)) == before
        direct = rollup.figures_of_days(DAY - dt.timedelta(days=1), NOW.date())
    stored = {
        (row.day, row.area_id): {k: getattr(row, k) for k in COUNTS if getattr(row, k)}
        for row in AreaDay.objects.all()
    }
    # Stored: the direct count of each grid, summed into every area above it.
    direct = rollup.roll_up(direct, rollup.ancestors_of())
    assert stored == {key: {k: v for k, v in c.items() if v} for key, c in direct.items()}
    assert stored[(DAY, territory.district.pk)]["received"] == 4


def test_the_commands_rebuild_and_refresh(raw):
    out = io.StringIO()
    call_command("rebuild_rollups", "--from", "2026-11-01", "--to", "2026-11-20", stdout=out)
    assert "recomputed 20 days" in out.getvalue()
    call_command("refresh_rollups", stdout=out)
    assert "recomputed" in out.getvalue()
    assert AreaDay.objects.filter(day=DAY).count() == 2 + 2 + 1  # G1, G2, C1, S1, D


@pytest.mark.parametrize("rows", [1, 50])
def test_the_dashboard_reads_a_constant_number_of_queries(
    rows, client, street_officer, territory, django_assert_max_num_queries
):
    read = [territory.street, *Area.objects.filter(path__startswith=territory.street.path, depth=3)]
    for n in range(rows):
        AreaDay.objects.create(
            area=read[n % len(read)], day=DAY - dt.timedelta(days=n), received=n + 1, open_now=n
        )
    rollup.remember_refresh(NOW)
    client.force_login(street_officer)
    url = reverse("dashboard", kwargs={"code": territory.street.code}) + "?period=year"
    # On the real clock "this year" is cached under today's date: a run across midnight
    # rendered the body again (8 queries, not 5), and from 2027 the rows were outside it.
    with time_machine.travel(NOW, tick=False):
        # Session, user, posts, the area; the rollup sums (this period, the previous one and
        # now, in one query), the children with their standing, the channel and category
        # split; the bell.
        with django_assert_max_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200
        # The body is cached until the next refresh: then only access and the bell are read.
        with django_assert_max_num_queries(5):
            again = client.get(url)

    def main(page):  # the page less the per-response CSRF token outside <main>
        text = page.content.decode()
        return text[text.index("<main") : text.index("</main>")]

    assert main(again) == main(response)


def test_a_refresh_shows_new_figures_at_once_despite_the_cached_page(
    raw, client, street_officer, territory
):
    client.force_login(street_officer)
    url = reverse("dashboard", kwargs={"code": territory.street.code})
    url += "?period=custom&from=2026-11-10&to=2026-11-10"
    with time_machine.travel(NOW, tick=False):
        rollup.rebuild(DAY, DAY)
        assert 'data-figure="received">4<' in client.get(url).content.decode()
        AreaDay.objects.filter(day=DAY, area=territory.street).update(received=40)
        # Until a refresh the cached page stands: figures are "as of" the last refresh.
        assert 'data-figure="received">4<' in client.get(url).content.decode()
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        rollup.refresh()
        assert 'data-figure="received">4<' in client.get(url).content.decode()
        AreaDay.objects.filter(day=DAY, area=territory.street).update(received=40)
        rollup.remember_refresh(NOW + dt.timedelta(minutes=6))
        assert 'data-figure="received">40<' in client.get(url).content.decode()


def test_another_streets_dashboard_is_a_404(client, other_street_officer, territory):
    client.force_login(other_street_officer)
    response = client.get(reverse("dashboard", kwargs={"code": territory.street.code}))
    assert response.status_code == 404


def test_the_chart_data_and_the_excel_agree_with_the_league_table(
    raw, client, street_officer, territory
):
    from io import BytesIO

    from openpyxl import load_workbook

    with time_machine.travel(NOW, tick=False):
        rollup.rebuild(DAY, NOW.date())
        client.force_login(street_officer)
        query = "?period=custom&from=2026-11-10&to=2026-11-10&sort=received"
        code = territory.community.code
        data = client.get(reverse("dashboard_data", kwargs={"code": code}) + query).json()
        workbook = client.get(reverse("dashboard_export", kwargs={"code": code}) + query)
    values = {v["code"]: v["value"] for v in data["values"]}
    assert values == {"G1": 3.0, "G2": 1.0}
    assert data["trend"]["received"] == [4]
    assert {f["properties"]["code"] for f in data["map"]["features"]} == {"G1", "G2"}
    rows = list(load_workbook(BytesIO(workbook.content)).active.iter_rows(values_only=True))
    by_name = {row[0]: row for row in rows[2:]}
    assert by_name[territory.grid.name][1:3] == (3, 66.7)  # 2 resolved of 3
    assert by_name["Total"][1] == 4
