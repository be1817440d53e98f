"""党员申报、召集人汇总、社区核实: a member declares, the convener collects, the community
verifies item by item; only approval posts points, once, within the rule's caps."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from points import services
from points.models import Batch, Declaration, Entry
from tests.points.fixtures import declare as _declare

pytestmark = pytest.mark.django_db


# The shared points fixtures (tests/points/fixtures.py) under this module's short names.
@pytest.fixture
def account(member_account):
    return member_account


@pytest.fixture
def rule(hour_rule):
    return hour_rule


def test_the_whole_path_posts_points_only_for_what_is_approved(
    account, rule, member_user, branch, secretary_user, community_officer
):
    first = _declare(member_user, account, rule, hours="3")
    second = _declare(member_user, account, rule, hours="1", served_on=dt.date(2026, 11, 21))
    batch = services.collect(by=secretary_user, branch=branch, declarations=[first, second])
    services.submit_batch(by=secretary_user, batch=batch)
    services.verify(by=community_officer, declaration=first, approve=True)
    services.verify(by=community_officer, declaration=second, approve=False, reason="无佐证")
    account.refresh_from_db()
    assert account.balance == 6  # 3 hours × 2 points; nothing for the rejected one
    entry = Entry.objects.get()
    assert (entry.source, entry.rule_version) == (f"declaration:{first.pk}", 1)
    batch.refresh_from_db()
    assert batch.state == Batch.State.VERIFIED
    first.refresh_from_db()
    assert [s.action for s in first.steps.all()] == ["declare", "collect", "approve"]


def test_the_convener_returns_an_item_with_a_reason(
    account, rule, member_user, branch, secretary_user
):
    item = _declare(member_user, account, rule)
    batch = services.collect(by=secretary_user, branch=branch, declarations=[item])
    with pytest.raises(ValidationError):
        services.return_item(by=secretary_user, declaration=item, reason=" ")
    item = services.return_item(by=secretary_user, declaration=item, reason="时长填错")
    assert (item.state, item.batch, item.reason) == (Declaration.State.RETURNED, None, "时长填错")
    assert not batch.declarations.exists()


def test_an_item_is_verified_once_and_a_retry_posts_nothing_more(
    account, rule, member_user, branch, secretary_user, community_officer
):
    item = _declare(member_user, account, rule)
    batch = services.collect(by=secretary_user, branch=branch, declarations=[item])
    services.submit_batch(by=secretary_user, batch=batch)
    services.verify(by=community_officer, declaration=item, approve=True)
    with pytest.raises(ValidationError):
        services.verify(by=community_officer, declaration=item, approve=True)
    assert Entry.objects.count() == 1


def test_the_days_cap_holds_across_items(
    account, rule, member_user, branch, secretary_user, community_officer
):
    items = [_declare(member_user, account, rule, hours="3") for _ in range(2)]  # 6 + 6 > 10
    batch = services.collect(by=secretary_user, branch=branch, declarations=items)
    services.submit_batch(by=secretary_user, batch=batch)
    services.verify(by=community_officer, declaration=items[0], approve=True)
    with pytest.raises(ValidationError, match="cap of 10"):
        services.verify(by=community_officer, declaration=items[1], approve=True)
    account.refresh_from_db()
    assert account.balance == 6


def test_a_rule_change_is_a_new_version_and_leaves_posted_points_alone(
    account, rule, member_user, branch, secretary_user, community_officer
):
    item = _declare(member_user, account, rule)
    batch = services.collect(by=secretary_user, branch=branch, declarations=[item])
    services.submit_batch(by=secretary_user, batch=batch)
    services.verify(by=community_officer, declaration=item, approve=True)
    newer = services.revise_rule(rule=rule, points=5)
    assert (newer.version, newer.points) == (2, 5)
    assert Entry.objects.get().amount == 6 and Entry.objects.get().rule_version == 1
    with pytest.raises(ValidationError):
        _declare(member_user, account, rule)  # the old version is no longer in force
    assert _declare(member_user, account, newer).rule == newer


@pytest.mark.parametrize("who", ["someone_else", "other_branch_secretary"])
def test_only_the_member_declares_and_only_the_convener_collects(
    who, account, rule, member_user, branch, neighbour_worker
):
    if who == "someone_else":
        with pytest.raises(PermissionDenied):
            _declare(neighbour_worker, account, rule)
    else:
        item = _declare(member_user, account, rule)
        with pytest.raises(PermissionDenied):
            services.collect(by=neighbour_worker, branch=branch, declarations=[item])


def test_a_grid_worker_cannot_verify(
    account, rule, member_user, branch, secretary_user, own_worker
):
    item = _declare(member_user, account, rule)
    batch = services.collect(by=secretary_user, branch=branch, declarations=[item])
    services.submit_batch(by=secretary_user, batch=batch)
    with pytest.raises(PermissionDenied):
        services.verify(by=own_worker, declaration=item, approve=True)
    assert not Entry.objects.exists()


def test_the_same_declaration_form_sent_twice_is_one_declaration(account, rule, member_user):
    client_id = uuid.uuid4()
    for _ in range(2):
        services.declare(
            by=member_user,
            client_id=client_id,
            account=account,
            rule=rule,
            served_on=dt.date(2026, 11, 20),
            hours=Decimal("2"),
            description="重复提交",
        )
    assert Declaration.objects.count() == 1
