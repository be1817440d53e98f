"""公示 (publicity) before points count for rankings, objections that reopen an item, points
that lapse at the end of their period, and residents' conduct recorded by staff."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from points import services
from points.models import Declaration, Entry, Objection, Reward, Rule, Scheme
from points.periods import parse
from points.selectors import Audience, leaderboard
from points.services import check_balances
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
YEAR = parse("2026")


def _approved(collected, secretary_user, community_officer_of_c1):
    services.submit_batch(by=secretary_user, batch=collected.batch)
    return services.verify(by=community_officer_of_c1, declaration=collected, approve=True)


def _board(territory, service_scheme):
    return leaderboard(
        scheme=service_scheme, unit=territory.community, period=YEAR, audience=Audience.MEMBERS
    )


@time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=TZ), tick=False)
def test_approved_points_count_for_rankings_only_after_their_publicity(
    collected, secretary_user, community_officer_of_c1, territory, service_scheme
):
    item = _approved(collected, secretary_user, community_officer_of_c1)
    assert item.public_until == dt.datetime(2026, 11, 27, 10, tzinfo=TZ)
    item.account.refresh_from_db()
    assert item.account.balance == 6  # spendable at once
    assert _board(territory, service_scheme) == []
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 1, tzinfo=TZ)):
        board = _board(territory, service_scheme)
        assert [(s.name, s.points) for s in board] == [("王党员", 6)]


@time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=TZ), tick=False)
def test_an_objection_reverses_the_points_and_reopens_the_item_for_the_community(
    collected, secretary_user, community_officer_of_c1, territory, service_scheme
):
    item = _approved(collected, secretary_user, community_officer_of_c1)
    neighbour = UserFactory(username="resident_li")
    with pytest.raises(PermissionDenied):  # someone with no tie to the community
        services.object_to(by=neighbour, declaration=item, reason="没有参加")
    objection = services.object_to(
        by=community_officer_of_c1, declaration=item, reason="当天活动取消了"
    )
    item.refresh_from_db()
    assert isinstance(objection, Objection)
    assert item.state == Declaration.State.COLLECTED and item.public_until is None
    assert item.batch.state == item.batch.State.SUBMITTED
    assert item.account.balance == 0
    kinds = list(Entry.objects.order_by("pk").values_list("kind", "amount"))
    assert kinds == [("earn", 6), ("reversal", -6)]
    # Approved again after a look: posted anew, under a new key; both count after publicity.
    services.verify(by=community_officer_of_c1, declaration=item, approve=True)
    item.account.refresh_from_db()
    assert item.account.balance == 6 and Entry.objects.count() == 3
    with time_machine.travel(dt.datetime(2026, 12, 1, tzinfo=TZ)):
        assert [s.points for s in _board(territory, service_scheme)] == [6]
    assert check_balances() == []


@time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=TZ), tick=False)
def test_an_objection_after_the_window_is_refused(
    collected, secretary_user, community_officer_of_c1
):
    item = _approved(collected, secretary_user, community_officer_of_c1)
    late = time_machine.travel(dt.datetime(2026, 11, 28, tzinfo=TZ))
    with late, pytest.raises(ValidationError, match="window"):
        services.object_to(by=community_officer_of_c1, declaration=item, reason="迟到的异议")
    assert Entry.objects.count() == 1


@pytest.fixture
def civility(db):
    return Scheme.objects.create(
        code="civility",
        name_en="Civility points",
        name_zh="文明积分",
        audience=Scheme.Audience.RESIDENTS,
        expiry_months=12,
    )


@pytest.fixture
def sorting(civility):
    return Rule.objects.create(
        scheme=civility,
        code="sorting",
        name_en="Waste sorting",
        name_zh="垃圾分类",
        points=5,
        verifier=Rule.Verifier.NONE,
    )


@pytest.fixture
def resident_account(civility, household):
    return services.open_account(scheme=civility, resident=ResidentFactory(household=household))


def _record(by, account, rule, on=dt.date(2026, 3, 1)):
    return services.record_conduct(
        by=by,
        client_id=uuid.uuid4(),
        account=account,
        rule=rule,
        served_on=on,
        description="主动分类投放",
    )


def test_conduct_by_a_rule_nobody_verifies_is_posted_at_once(
    resident_account, sorting, community_officer_of_c1
):
    item = _record(community_officer_of_c1, resident_account, sorting)
    resident_account.refresh_from_db()
    assert item.state == Declaration.State.APPROVED and resident_account.balance == 5
    assert item.public_until is None
    assert [s.action for s in item.steps.all()] == ["record", "approve"]


def test_conduct_by_a_verified_rule_waits_for_the_community(
    resident_account, sorting, community_officer_of_c1
):
    rule = services.revise_rule(rule=sorting, verifier=Rule.Verifier.COMMUNITY)
    item = _record(community_officer_of_c1, resident_account, rule)
    resident_account.refresh_from_db()
    assert item.state == Declaration.State.COLLECTED and resident_account.balance == 0
    services.verify(by=community_officer_of_c1, declaration=item, approve=True)
    resident_account.refresh_from_db()
    assert resident_account.balance == 5


def test_a_grid_worker_of_another_grid_cannot_record_conduct(
    resident_account, sorting, neighbour_worker
):
    with pytest.raises(PermissionDenied):
        _record(neighbour_worker, resident_account, sorting)


def _stock(civility, territory, cost=3):
    return Reward.objects.create(
        scheme=civility, community=territory.community, name="洗衣液", cost=cost, stock=10
    )


def test_points_lapse_at_the_end_of_the_year_by_an_expiry_entry_once(
    resident_account, sorting, community_officer_of_c1, civility, territory
):
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=TZ)):
        _record(community_officer_of_c1, resident_account, sorting)
        _record(community_officer_of_c1, resident_account, sorting, on=dt.date(2026, 5, 30))
        services.redeem(
            account=resident_account,
            reward=_stock(civility, territory),
            by=community_officer_of_c1,
            idempotency_key="r1",
        )
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 20, tzinfo=TZ)):
        _record(community_officer_of_c1, resident_account, sorting, on=dt.date(2027, 1, 1))
        assert services.expire_points() == 1
        assert services.expire_points() == 0  # the same period again changes nothing
    resident_account.refresh_from_db()
    expiry = Entry.objects.get(kind=Entry.Kind.EXPIRY)
    assert expiry.amount == -7  # 10 earned, 3 spent in 2026; the 5 of 2027 stay
    assert resident_account.balance == 5
    assert Entry.objects.count() == 5  # nothing was deleted
    assert check_balances() == []


def test_spending_after_the_cutoff_comes_from_the_old_points_first(
    resident_account, sorting, community_officer_of_c1, civility, territory
):
    with time_machine.travel(dt.datetime(2026, 12, 30, tzinfo=TZ)):
        _record(community_officer_of_c1, resident_account, sorting)
    reward = _stock(civility, territory, cost=2)
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 5, tzinfo=TZ)):
        services.redeem(
            account=resident_account, reward=reward, by=community_officer_of_c1, idempotency_key="k"
        )
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 20, tzinfo=TZ)):
        call_command("expire_points")
    resident_account.refresh_from_db()
    assert Entry.objects.get(kind=Entry.Kind.EXPIRY).amount == -3
    assert resident_account.balance == 0


def test_the_expiry_command_runs_as_of_a_given_day(
    resident_account, sorting, community_officer_of_c1, capsys
):
    with time_machine.travel(dt.datetime(2026, 3, 2, tzinfo=TZ)):
        _record(community_officer_of_c1, resident_account, sorting)
    call_command("expire_points", "--today", "2027-01-02")
    assert "points lapsed on 1 accounts" in capsys.readouterr().out
    with pytest.raises(Exception, match="--today"):
        call_command("expire_points", "--today", "soon")


def test_a_scheme_lapses_on_the_first_day_of_its_next_period(civility):
    assert civility.lapse_date(dt.date(2026, 3, 5)) == dt.date(2027, 1, 1)
    civility.expiry_months = 6
    assert civility.lapse_date(dt.date(2026, 3, 5)) == dt.date(2026, 7, 1)
    assert civility.lapse_date(dt.date(2026, 7, 1)) == dt.date(2027, 1, 1)
    civility.expiry_months = None
    assert civility.lapse_date(dt.date(2026, 3, 5)) is None
