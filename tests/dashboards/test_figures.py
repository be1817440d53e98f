"""The dashboard figures beyond request counts, each against a hand count: the channel and
category split, micro-wishes, station activities, points, and how every area stands now
(1+3+N, branches, members, households, visits, stations)."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from branches.models import Registration, ServiceRecord
from dashboards import rollup, selectors
from dashboards.models import AreaStanding
from dashboards.standing import refresh_standing
from grids.roles import Role
from points import services as points
from points.models import Entry, Scheme
from tests.factories import HouseholdFactory, PostFactory, ResidentFactory, UserFactory
from tickets import services
from tickets.models import Channel, Matter, Status, Ticket

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 20, 12, tzinfo=TZ)


def _span(first, last):
    return selectors.Span("custom", first, last)


def test_requests_split_by_channel_and_category_and_wishes_count_when_fulfilled(territory, matter):
    day = dt.date(2026, 3, 10)
    wish_matter = Matter.objects.get(code="micro_wish")
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=TZ), tick=False):
        for channel, what in [
            (Channel.QR, matter),
            (Channel.QR, matter),
            (Channel.STAFF, matter),
            (Channel.WISH, wish_matter),
            (Channel.WISH, wish_matter),
        ]:
            made = services.submit(
                channel=channel,
                matter=what,
                description="楼道堆物",
                reporter_phone="13812345678",
                grid=territory.grid,
            )
    Ticket.objects.filter(pk=made.pk).update(
        status=Status.RESOLVED, resolved_at=dt.datetime(2026, 3, 11, 9, tzinfo=TZ)
    )
    with time_machine.travel(NOW, tick=False):
        rollup.rebuild(day, NOW.date())
    by_channel, by_category = selectors.mix(territory.district, _span(day, day))
    assert [(s.label, s.received, s.resolved) for s in by_channel] == [
        (str(Channel.WISH.label), 2, 1),  # ties by name
        (str(Channel.QR.label), 2, 0),
        (str(Channel.STAFF.label), 1, 0),
    ]
    categories = {s.label: (s.received, s.resolved) for s in by_category}
    assert categories == {matter.category.name: (3, 0), wish_matter.category.name: (2, 1)}
    # Another street's split is empty, not an error.
    assert selectors.mix(territory.other_street, _span(day, day)) == ([], [])
    f = selectors.board(territory.district, _span(day, day)).figures
    assert (f.wishes, f.wishes_fulfilled, str(f.wishes_rate)) == (2, 1, "50.0")
    empty = selectors.board(territory.district, _span(day, day).previous()).figures
    assert (empty.wishes, empty.wishes_rate) == (0, None)


def test_activities_and_points_land_on_their_day_and_area(
    territory, activity, member_account, hour_rule
):
    civility = Scheme.objects.create(
        code="civility", name_en="Civility", name_zh="文明积分", audience=Scheme.Audience.RESIDENTS
    )
    household = HouseholdFactory(grid=territory.grid)
    resident = points.open_account(scheme=civility, resident=ResidentFactory(household=household))
    with time_machine.travel(NOW, tick=False):
        points.post(account=resident, amount=7, kind=Entry.Kind.EARN, idempotency_key="t-r7")
        points.post(account=resident, amount=-2, kind=Entry.Kind.REDEEM, idempotency_key="t-r2")
        earned = points.post(
            account=member_account,
            amount=30,
            kind=Entry.Kind.EARN,
            idempotency_key="t-earn",
            rule=hour_rule,
            earned_on=dt.date(2026, 3, 18),
        )
        points.post(
            account=member_account,
            amount=-10,
            kind=Entry.Kind.REDEEM,
            idempotency_key="t-redeem",
        )
        rollup.rebuild(dt.date(2026, 3, 1), NOW.date())
    march = selectors.board(territory.street, _span(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    f = march.figures
    assert (f.activities, f.attendance) == (1, 30)  # the activity fixture: 5 March, 30 people
    assert (f.points_issued, f.points_redeemed) == (37, 12)
    assert (f.points_issued_members, f.points_issued_residents) == (30, 7)
    assert (f.points_redeemed_members, f.points_redeemed_residents) == (10, 2)
    assert earned.posted_at.date() == NOW.date()
    # Points belong to the community's accounts: held at C1 itself on the street's board.
    c1 = selectors.board(territory.community, march.period)
    held = [row for row in c1.children if row[0] is None]
    assert held and held[0][1].points_issued == 37
    # Nothing of it in February, nor in the other street.
    assert (
        selectors.board(
            territory.street, _span(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
        ).figures.activities
        == 0
    )
    assert selectors.board(territory.other_street, march.period).figures.points_issued == 0


def test_the_incremental_job_picks_up_new_activities_and_entries(
    territory, station, member_account, hour_rule
):
    from stations.models import Activity

    with time_machine.travel(NOW, tick=False):
        rollup.refresh()
        Activity.objects.create(
            station=station,
            held_on=dt.date(2026, 3, 2),
            title="义诊",
            kind="service",
            attendance=12,
        )
        points.post(
            account=member_account,
            amount=5,
            kind=Entry.Kind.EARN,
            idempotency_key="t-5",
            rule=hour_rule,
            earned_on=dt.date(2026, 3, 2),
        )
        rollup.refresh()
    f = selectors.board(territory.district, _span(dt.date(2026, 3, 1), NOW.date())).figures
    assert (f.activities, f.attendance, f.points_issued) == (1, 12, 5)


def _staff(grid, role, n):
    for i in range(n):
        PostFactory(user=UserFactory(username=f"{grid.code}-{role}-{i}"), area=grid, role=role)


def test_standing_is_a_hand_count_of_every_grid_and_community_rolled_up(
    territory, branch, link, station, registration
):
    """G1: a leader (the branch secretary), 3 part-time workers, a volunteer, a grid station,
    the branch, and one household linked to a member, visited 10 days ago. G2: one household
    visited 40 days ago, due last week. G3, G4: nothing."""
    _staff(territory.grid, Role.PART_TIME_WORKER, 3)
    _staff(territory.grid, Role.VOLUNTEER, 1)
    linked = link.household
    with time_machine.travel(NOW, tick=False):
        now = timezone.now()
        type(linked).objects.filter(pk=linked.pk).update(
            last_visited_at=now - dt.timedelta(days=10)
        )
        HouseholdFactory(
            grid=territory.neighbour_grid,
            last_visited_at=now - dt.timedelta(days=40),
            visit_due_on=NOW.date() - dt.timedelta(days=7),
        )
        Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CONFIRMED)
        ServiceRecord.objects.create(
            member=registration.member,
            community=territory.community,
            served_on=dt.date(2026, 3, 1),
            post="legal_aid",
            description="法律咨询",
        )
        rows = refresh_standing()
    assert rows == 1 + 2 + 3 + 4  # district, streets, communities, grids
    g1 = AreaStanding.objects.get(area=territory.grid)
    assert (g1.grids, g1.grids_staffed, g1.vacancies, g1.workers) == (1, 1, 0, 4)
    assert (g1.grids_with_branch, g1.grids_with_station, g1.households_linked) == (1, 1, 1)
    c1 = selectors.Standing(AreaStanding.objects.get(area=territory.community))
    assert (c1.grids, c1.households, c1.visited_30, c1.visited_90, c1.visits_overdue) == (
        2,
        2,
        1,
        2,
        1,
    )
    # G2 misses all of 1+3+N: 1 full-time, 3 part-time, 1 helper.
    assert (c1.grids_staffed, c1.vacancies) == (1, 5)
    assert (c1.branches, c1.branches_one_shoulder) == (1, 1)
    assert (c1.members_in_service, c1.members_registered, c1.members_served) == (1, 1, 1)
    assert str(c1.staffing_rate) == str(c1.branch_rate) == str(c1.linked_rate) == "50.0"
    assert (c1.stations, c1.stations_standardised, c1.standardised_rate) == (1, 0, 0)
    d = selectors.Standing(AreaStanding.objects.get(area=territory.district))
    assert (d.grids, d.grids_comprehensive, d.grids_dedicated) == (4, 3, 1)
    assert (d.grids_staffed, d.vacancies, d.grids_with_branch) == (1, 15, 1)
    assert str(d.staffing_rate) == str(d.branch_rate) == str(d.station_rate) == "25.0"
    assert d.households == c1.households and d.branches == 1
    # The other street has grids but nothing else; its rates are 0, never a division by 0.
    s2 = selectors.Standing(AreaStanding.objects.get(area=territory.other_street))
    assert (s2.grids, s2.branch_rate, s2.linked_rate, s2.one_shoulder_rate) == (1, 0, None, None)


def test_an_area_with_no_standing_yet_shows_dashes(territory, client, street_officer):
    assert selectors.board(territory.street, _span(NOW.date(), NOW.date())).standing.grids == 0
    client.force_login(street_officer)
    response = client.get(reverse("dashboard", kwargs={"code": territory.street.code}))
    assert response.status_code == 200
    assert 'data-figure="staffing_rate">—' in response.content.decode()


def test_the_standing_command_and_the_page_show_it(territory, branch, client, street_officer):
    out = io.StringIO()
    call_command("refresh_standing", stdout=out)
    assert "recomputed the standing of 10 areas" in out.getvalue()
    client.force_login(street_officer)
    page = client.get(reverse("dashboard", kwargs={"code": territory.street.code})).content
    assert b'data-figure="branch_rate">33.3%' in page  # G1 of G1, G2, G3
    assert page.count(b'href="/dashboard/C') == 2  # the league table: C1 and C2


def test_the_points_panel_ranks_the_period_and_is_scoped(
    territory, member_account, hour_rule, client, street_officer, other_street_officer
):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        points.post(
            account=member_account,
            amount=8,
            kind=Entry.Kind.EARN,
            idempotency_key="t-8",
            rule=hour_rule,
            earned_on=dt.date(2026, 2, 19),
            counts_from=NOW - dt.timedelta(days=25),  # after its publicity
        )
    url = reverse("dashboard_points", kwargs={"code": territory.street.code})
    client.force_login(street_officer)
    with time_machine.travel(NOW, tick=False):
        page = client.get(url + "?period=last_month").content.decode()
    assert member_account.member.name in page and ">8<" in page
    client.force_login(other_street_officer)
    assert client.get(url).status_code == 404


def _league(page: str) -> str:
    start = page.index('class="table table-sm align-middle league"')
    return page[start : page.index("</table>", start)]


def _league_codes(page: str) -> list[str]:
    """The areas of the league table, in the order shown."""
    import re

    return re.findall(r'<th scope="row"[^>]*><a href="/dashboard/([^/]+)/', _league(page))


def test_the_league_table_ranks_by_any_figure_and_shows_its_column(
    territory, member_account, hour_rule, client, street_officer
):
    from dashboards import league

    with time_machine.travel(NOW, tick=False):
        points.post(
            account=member_account,
            amount=30,
            kind=Entry.Kind.EARN,
            idempotency_key="t-rank",
            rule=hour_rule,
            earned_on=NOW.date(),
        )
        rollup.rebuild(NOW.date(), NOW.date())
        refresh_standing()
        client.force_login(street_officer)
        url = reverse("dashboard", kwargs={"code": territory.street.code})
        span = f"?period=custom&from={NOW.date()}&to={NOW.date()}"
        pages = {key: client.get(f"{url}{span}&sort={key}") for key in league.COLUMNS}
        fallback = client.get(f"{url}{span}&sort=nonsense").content.decode()
    for key, response in pages.items():
        assert response.status_code == 200, key
        page = response.content.decode()
        assert f'sort={key}" aria-current="true"' in page, key
        assert f'<option value="{key}" selected>' in page, key
    # Points of C1's member: C1 first. C2 has no points but one grid more of none: by grids
    # (not a column of its own) C1 (G1, G2) still leads C2 (G3), and the column is shown.
    assert _league_codes(pages["points_issued"].content.decode()) == ["C1", "C2"]
    by_grids = pages["grids"].content.decode()
    assert _league_codes(by_grids) == ["C1", "C2"]
    assert _league(by_grids).count('<th scope="col"') == len(league.SHOWN) + 2  # area, grids
    assert _league(fallback).count('<th scope="col"') == len(league.SHOWN) + 1
    assert 'sort=received" aria-current="true"' in fallback
