"""Leaderboards with deterministic ties, the 在职党员 annual minimum, red/black lists frozen
once published, the appraisal export, and points proposed for a well-rated request."""

import datetime as dt
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from branches.models import MemberKind, PartyMember
from points import services
from points.models import Account, Declaration, Entry, HonourList, HonourRow, Rule
from points.periods import parse
from points.selectors import Audience, leaderboard, minimum_unmet, standing_of
from tests.factories import jpeg

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _earn(account, amount, on, key, counts_from=None):
    return services.post(
        account=account,
        amount=amount,
        kind=Entry.Kind.EARN,
        idempotency_key=key,
        earned_on=on,
        counts_from=counts_from or dt.datetime(2026, 1, 1, tzinfo=TZ),
    )


def _member(branch, name, kind=MemberKind.RESIDENT, **extra):
    return PartyMember.objects.create(
        name=name, community=branch.community, branch=branch, kind=kind, **extra
    )


@pytest.fixture
def three(branch, service_scheme):
    """Three members of the branch with accounts, opened in this order."""
    return [
        services.open_account(scheme=service_scheme, member=_member(branch, name))
        for name in ("甲", "乙", "丙")
    ]


def test_ties_are_broken_by_services_then_by_the_earlier_account(three, service_scheme, branch):
    a, b, c = three
    _earn(a, 10, dt.date(2026, 3, 1), "a1")
    _earn(b, 5, dt.date(2026, 3, 1), "b1")
    _earn(b, 5, dt.date(2026, 4, 1), "b2")
    _earn(c, 10, dt.date(2026, 5, 1), "c1")
    _earn(c, 50, dt.date(2025, 5, 1), "c-old")  # another year
    board = leaderboard(
        scheme=service_scheme, unit=branch, period=parse("2026"), audience=Audience.MEMBERS
    )
    assert [(s.rank, s.name, s.points) for s in board] == [
        (1, "乙", 10),
        (2, "甲", 10),
        (3, "丙", 10),
    ]
    mine = standing_of(account=c, unit=branch, period=parse("2026"))
    assert (mine.rank, mine.points) == (3, 10)
    half = leaderboard(
        scheme=service_scheme, unit=branch, period=parse("2026-H1"), audience=Audience.MEMBERS
    )
    assert len(half) == 3
    month = leaderboard(
        scheme=service_scheme, unit=branch, period=parse("2026-04"), audience=Audience.MEMBERS
    )
    assert [(s.name, s.points) for s in month] == [("乙", 5)]


def test_redemptions_and_expiry_move_balances_but_never_rankings(three, service_scheme, territory):
    a, *_ = three
    _earn(a, 10, dt.date(2026, 3, 1), "a1")
    services.post(account=a, amount=-4, kind=Entry.Kind.EXPIRY, idempotency_key="x")
    board = leaderboard(
        scheme=service_scheme,
        unit=territory.community,
        period=parse("2026"),
        audience=Audience.MEMBERS,
    )
    assert [s.points for s in board] == [10]
    assert (
        leaderboard(
            scheme=service_scheme,
            unit=territory.other_community,
            period=parse("2026"),
            audience=Audience.MEMBERS,
        )
        == []
    )
    assert (
        leaderboard(
            scheme=service_scheme,
            unit=territory.community,
            period=parse("2026"),
            audience=Audience.RESIDENTS,
        )
        == []
    )


@pytest.mark.parametrize("rows", [1, 50])
def test_a_leaderboard_is_one_query_whatever_its_length(
    rows, branch, service_scheme, django_assert_max_num_queries
):
    for n in range(rows):
        account = services.open_account(scheme=service_scheme, member=_member(branch, f"员{n}"))
        _earn(account, n + 1, dt.date(2026, 3, 1), f"k{n}")
    with django_assert_max_num_queries(1):
        board = leaderboard(
            scheme=service_scheme, unit=branch, period=parse("2026"), audience=Audience.MEMBERS
        )
        assert len([s.name for s in board]) == rows


def test_in_service_members_without_a_verified_service_this_year_are_listed(
    collected, secretary_user, community_officer_of_c1, branch, member
):
    PartyMember.objects.filter(pk=member.pk).update(
        kind=MemberKind.IN_SERVICE, work_unit="区税务局"
    )
    idle = _member(branch, "赵在职", kind=MemberKind.IN_SERVICE, work_unit="区法院")
    services.submit_batch(by=secretary_user, batch=collected.batch)
    members = PartyMember.objects.all()
    assert set(minimum_unmet(members=members, year=2026)) == {idle, member}
    services.verify(by=community_officer_of_c1, declaration=collected, approve=True)
    assert list(minimum_unmet(members=members, year=2026)) == [idle]
    assert set(minimum_unmet(members=members, year=2025)) == {idle, member}


@pytest.fixture
def second_branch(territory, service_scheme):
    from branches import services as branch_services

    return branch_services.save_branch(
        by=None,
        community=territory.community,
        code="C1-B02",
        name="幸福第二网格党支部",
        grids=[territory.neighbour_grid],
        secretary=None,
        founded_on=None,
    )


@time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=TZ), tick=False)
def test_a_published_red_and_black_list_is_frozen(
    three, second_branch, branch, service_scheme, street_officer, territory
):
    a, *_others = three
    other = services.open_account(scheme=service_scheme, member=_member(second_branch, "丁"))
    _earn(a, 30, dt.date(2026, 3, 1), "a1")
    _earn(other, 4, dt.date(2026, 3, 1), "o1")
    honours = HonourList.objects.create(
        scheme=service_scheme,
        name_en="Branches by points per member",
        name_zh="支部人均积分",
        unit=HonourList.Unit.BRANCH,
        measure=HonourList.Measure.POINTS_PER_MEMBER,
        size=1,
    )
    with pytest.raises(ValidationError, match="ended"):
        services.publish_honours(
            by=street_officer, honour_list=honours, area=territory.street, period=parse("2026-H2")
        )
    published = services.publish_honours(
        by=street_officer, honour_list=honours, area=territory.street, period=parse("2026-H1")
    )
    rows = [(r.board, r.unit_name, str(r.value)) for r in published.rows.all()]
    # 幸福第一: 30 points over 4 members (the secretary, 甲 乙 丙) → 7.50; 幸福第二: 4 / 1
    assert rows == [("black", "幸福第二网格党支部", "4.00"), ("red", "幸福第一网格党支部", "7.50")]
    _earn(other, 100, dt.date(2026, 3, 2), "o2")  # afterwards: the list stays as it was
    assert [(r.board, r.unit_name) for r in HonourRow.objects.filter(published=published)] == [
        ("black", "幸福第二网格党支部"),
        ("red", "幸福第一网格党支部"),
    ]
    with pytest.raises(ValidationError, match="already"):
        services.publish_honours(
            by=street_officer, honour_list=honours, area=territory.street, period=parse("2026-H1")
        )


def test_only_those_who_set_up_branches_publish_a_list(service_scheme, district_officer, territory):
    honours = HonourList.objects.create(
        scheme=service_scheme, name_en="x", name_zh="x", unit="branch", measure="total"
    )
    with pytest.raises(PermissionDenied):
        services.publish_honours(
            by=district_officer, honour_list=honours, area=territory.district, period=parse("2025")
        )


def test_the_appraisal_export_is_a_workbook_of_the_users_area_only(
    client, street_officer, three, territory, service_scheme
):
    a, *_ = three
    _earn(a, 12, dt.date(2026, 3, 1), "a1")
    PartyMember.objects.create(name="外社区党员", community=territory.other_community)
    client.force_login(street_officer)
    response = client.get(
        reverse("points_export", kwargs={"code": territory.community.code}) + "?period=2026"
    )
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    names = {row[2]: row for row in rows[2:]}
    assert names["甲"][5] == 12 and "外社区党员" not in names
    assert rows[1][2] == "Name"


# --- Points for a well-rated request -----------------------------------------------------------


@pytest.fixture
def ticket_rule(service_scheme):
    return Rule.objects.create(
        scheme=service_scheme,
        code="ticket",
        name_en="Request handled",
        name_zh="接单办结",
        points=3,
    )


def _closed(ticket, dispatcher, member_worker, rating):
    from tickets import services as ticket_services

    ticket = ticket_services.accept(by=dispatcher, ticket=ticket)
    ticket = ticket_services.assign(by=dispatcher, ticket=ticket, assignee=member_worker)
    ticket = ticket_services.start(by=member_worker, ticket=ticket)
    ticket = ticket_services.resolve(
        by=member_worker, ticket=ticket, result="好了", photos=[jpeg()]
    )
    return ticket_services.rate(ticket=ticket, rating=rating)


def test_a_request_closed_with_five_stars_proposes_points_once(
    ticket, dispatcher, member_worker, ticket_rule, community_officer_of_c1
):
    ticket.matter.earns_points = True
    ticket.matter.save()
    ticket = _closed(ticket, dispatcher, member_worker, 5)
    proposal = Declaration.objects.get(source_key=f"ticket:{ticket.pk}")
    assert proposal.origin == Declaration.Origin.TICKET
    assert proposal.state == Declaration.State.COLLECTED and proposal.account.user == member_worker
    from tickets import services as ticket_services

    ticket_services.propose_points(ticket=ticket)  # again, as a retried task would
    assert Declaration.objects.filter(source_key__startswith="ticket:").count() == 1
    services.verify(by=community_officer_of_c1, declaration=proposal, approve=True)
    assert Account.objects.get(user=member_worker).balance == 3


@pytest.mark.parametrize(("rating", "earns"), [(3, True), (5, False)])
def test_no_proposal_for_three_stars_or_a_matter_that_earns_nothing(
    rating, earns, ticket, dispatcher, member_worker, ticket_rule
):
    ticket.matter.earns_points = earns
    ticket.matter.save()
    _closed(ticket, dispatcher, member_worker, rating)
    assert not Declaration.objects.exists()
