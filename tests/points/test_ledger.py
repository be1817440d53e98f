"""The points ledger: append-only in the database, idempotent, reversible, never overdrawn."""

import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from points import services
from points.models import ALLOW_TRUNCATE, Account, Entry, Reward, Rule, Scheme
from tests.factories import ResidentFactory
from tests.waiting import STALL_SECONDS, join

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheme(db):
    return Scheme.objects.create(code="civility", name_en="Civility points", name_zh="文明积分")


@pytest.fixture
def rule(scheme):
    return Rule.objects.create(
        scheme=scheme, code="waste", name_en="Waste sorting", name_zh="垃圾分类", points=5
    )


@pytest.fixture
def account(scheme, household, territory):
    return Account.objects.create(
        scheme=scheme, community=territory.community, resident=ResidentFactory(household=household)
    )


def _earn(account, rule, key, amount=None):
    return services.post(
        account=account,
        amount=amount or rule.points,
        kind=Entry.Kind.EARN,
        rule=rule,
        idempotency_key=key,
    )


def test_the_same_event_posted_twice_is_one_entry(account, rule):
    first = _earn(account, rule, "declaration:1")
    again = _earn(account, rule, "declaration:1")
    assert first.pk == again.pk
    account.refresh_from_db()
    assert (account.balance, account.entries.count()) == (5, 1)


def test_an_entry_keeps_the_rule_version_it_was_posted_under(account, rule):
    entry = _earn(account, rule, "declaration:1")
    assert (entry.rule, entry.rule_version) == (rule, 1)


def test_a_reversal_points_at_its_entry_and_happens_once(account, rule, own_worker):
    entry = _earn(account, rule, "declaration:1")
    reversal = services.reverse(entry=entry, by=own_worker, reason="重复申报")
    assert (reversal.amount, reversal.reverses) == (-5, entry)
    with pytest.raises(ValidationError):
        services.reverse(entry=entry, by=own_worker, reason="again")
    account.refresh_from_db()
    assert account.balance == 0


def test_a_balance_never_goes_below_zero(account, rule):
    _earn(account, rule, "declaration:1")
    with pytest.raises(ValidationError):
        services.post(account=account, amount=-6, kind=Entry.Kind.ADJUSTMENT, idempotency_key="x")
    account.refresh_from_db()
    assert (account.balance, account.entries.count()) == (5, 1)


def test_the_check_proves_every_cached_balance_and_finds_a_wrong_one(account, rule):
    _earn(account, rule, "declaration:1")
    out = io.StringIO()
    call_command("check_balances", stdout=out)
    assert "every balance matches" in out.getvalue()
    Account.objects.filter(pk=account.pk).update(balance=50)  # a cache gone wrong
    assert services.check_balances() == [(account.pk, 50, 5)]
    with pytest.raises(Exception, match="1 accounts"):
        call_command("check_balances", stdout=out, stderr=io.StringIO())


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE points_entry SET amount = 500",
        "DELETE FROM points_entry",
    ],
)
def test_the_database_refuses_to_change_or_remove_an_entry(account, rule, statement):
    _earn(account, rule, "declaration:1")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert Entry.objects.get().amount == 5


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE points_entry, points_redemption",
        "TRUNCATE points_entry RESTART IDENTITY CASCADE",
        # Emptying a table the ledger refers to takes the ledger with it.
        "TRUNCATE points_account CASCADE",
    ],
)
def test_the_database_refuses_to_empty_the_ledger(account, rule, statement):
    _earn(account, rule, "declaration:1")
    with (
        pytest.raises(DatabaseError, match="TRUNCATE of points_entry is refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test's own inserts are uncommitted, and TRUNCATE refuses a table with foreign
        # keys still to be checked before any trigger runs: check them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)
    assert Entry.objects.get().amount == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_operator_may_empty_the_ledger_on_purpose_for_one_transaction(account, rule):
    _earn(account, rule, "declaration:1")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ALLOW_TRUNCATE)
        cursor.execute("TRUNCATE points_entry CASCADE")
    assert not Entry.objects.exists()
    _earn(account, rule, "declaration:2")
    # The permission ended with its transaction.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE points_entry CASCADE")
    assert Entry.objects.count() == 1


def test_the_orm_cannot_edit_an_entry_either(account, rule):
    entry = _earn(account, rule, "declaration:1")
    entry.amount = 500
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redemptions_never_overdraw_the_balance_or_the_stock(
    scheme, rule, territory, household, community_officer
):
    """Balance 100, cost 7, stock 20: exactly 14 succeed; the rest get a clear refusal."""
    account = Account.objects.create(
        scheme=scheme, community=territory.community, resident=ResidentFactory(household=household)
    )
    for n in range(20):
        _earn(account, rule, f"seed:{n}")  # 20 × 5 = 100
    reward = Reward.objects.create(
        scheme=scheme, community=territory.community, name="洗衣液", cost=7, stock=20
    )
    barrier = threading.Barrier(50)
    outcomes = []

    def redeem(n):
        try:
            barrier.wait(STALL_SECONDS)
            services.redeem(
                account=account, reward=reward, by=community_officer, idempotency_key=f"r:{n}"
            )
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    join(threads, what="the fifty redemptions to finish")
    account.refresh_from_db()
    reward.refresh_from_db()
    assert outcomes.count("ok") == 100 // 7 == 14
    assert all(o == "ok" or "Not enough points" in o for o in outcomes)
    assert (account.balance, reward.stock) == (100 - 14 * 7, 20 - 14)
    assert services.check_balances() == []


def test_a_redemption_retried_with_its_key_is_one_redemption(
    scheme, rule, account, territory, community_officer
):
    _earn(account, rule, "a", amount=20)
    reward = Reward.objects.create(
        scheme=scheme, community=territory.community, name="毛巾", cost=8, stock=5
    )
    first = services.redeem(
        account=account, reward=reward, by=community_officer, idempotency_key="k"
    )
    again = services.redeem(
        account=account, reward=reward, by=community_officer, idempotency_key="k"
    )
    reward.refresh_from_db()
    account.refresh_from_db()
    assert first.pk == again.pk and (reward.stock, account.balance) == (4, 12)


def test_a_grid_worker_cannot_hand_out_rewards(scheme, rule, account, territory, own_worker):
    from django.core.exceptions import PermissionDenied

    _earn(account, rule, "a", amount=20)
    reward = Reward.objects.create(
        scheme=scheme, community=territory.community, name="毛巾", cost=8, stock=5
    )
    with pytest.raises(PermissionDenied):
        services.redeem(account=account, reward=reward, by=own_worker, idempotency_key="k")


def test_an_entry_of_nothing_or_a_stray_reversal_is_refused_with_a_message(account, rule):
    with pytest.raises(ValidationError, match="at least one point"):
        services.post(account=account, amount=0, kind=Entry.Kind.EARN, idempotency_key="zero")
    with pytest.raises(ValidationError, match="only a reversal"):
        services.post(account=account, amount=-1, kind=Entry.Kind.REVERSAL, idempotency_key="r")
    assert not Entry.objects.exists()
