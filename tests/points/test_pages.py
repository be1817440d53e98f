"""The points pages as their users drive them: the member's phone form, the convener's
collection, the community's verification list, publicity, rewards and conduct."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from points import services
from points.models import Account, Batch, Declaration, Entry, Reward, Rule, Scheme
from tests.factories import ResidentFactory, jpeg
from tests.points.fixtures import declare

pytestmark = pytest.mark.django_db


def _form(rule, client_id=None, **extra):
    return {
        "client_id": str(client_id or uuid.uuid4()),
        "rule": rule.pk,
        "served_on": "2026-11-20",
        "hours": "2",
        "place": "幸福花园",
        "description": "帮独居老人买菜",
        **extra,
    }


def test_a_member_declares_from_the_phone_form_and_a_resend_is_one_declaration(
    client, member_user, hour_rule
):
    client.force_login(member_user)
    page = client.get(reverse("points_declare"))
    assert page.status_code == 200 and "Volunteer service (2 points an hour)" in page.text
    data = _form(hour_rule, photos=[jpeg()])
    assert client.post(reverse("points_declare"), data).status_code == 302
    data = _form(hour_rule, client_id=data["client_id"])
    assert client.post(reverse("points_declare"), data).status_code == 302
    item = Declaration.objects.get()
    assert item.account.member.user == member_user and item.photos.count() == 1
    mine = client.get(reverse("my_points"))
    assert "Declared" in mine.text


def test_a_bad_declaration_gets_field_errors_and_writes_nothing(client, member_user, hour_rule):
    client.force_login(member_user)
    data = _form(hour_rule, hours="", served_on="2099-01-01")
    response = client.post(reverse("points_declare"), data)
    assert response.status_code == 200
    assert "after it took place" in response.text
    assert not Declaration.objects.exists()


def test_the_convener_collects_returns_and_submits_from_the_page(
    client, secretary_user, branch, declaration, member_user, member_account, hour_rule
):
    second = declare(member_user, member_account, hour_rule, hours="1")
    client.force_login(secretary_user)
    url = reverse("points_collect", kwargs={"code": branch.code})
    assert client.get(url).text.count("社区助老服务") == 2
    client.post(url, {"item": [declaration.pk, second.pk]})
    batch = Batch.objects.get()
    client.post(reverse("points_return", kwargs={"pk": second.pk}), {"reason": "照片看不清"})
    client.post(reverse("points_submit_batch", kwargs={"pk": batch.pk}))
    batch.refresh_from_db()
    second.refresh_from_db()
    assert batch.state == Batch.State.SUBMITTED and second.state == Declaration.State.RETURNED
    assert second.reason == "照片看不清"


def test_the_member_puts_a_returned_item_right(client, collected, secretary_user, member_user):
    services.return_item(by=secretary_user, declaration=collected, reason="时长不对")
    client.force_login(member_user)
    url = reverse("points_redeclare", kwargs={"pk": collected.pk})
    assert "时长不对" in client.get(url).text
    client.post(url, {"hours": "1.5", "description": "助老 1.5 小时"})
    collected.refresh_from_db()
    assert collected.state == Declaration.State.DECLARED and str(collected.hours) == "1.5"


def test_the_community_approves_and_rejects_item_by_item(
    client,
    collected,
    secretary_user,
    member_user,
    member_account,
    hour_rule,
    branch,
    community_officer_of_c1,
):
    other = declare(member_user, member_account, hour_rule, hours="1")
    services.collect(by=secretary_user, branch=branch, declarations=[other])
    for batch in Batch.objects.all():
        services.submit_batch(by=secretary_user, batch=batch)
    client.force_login(community_officer_of_c1)
    page = client.get(reverse("points_verify", kwargs={"code": member_account.community.code}))
    assert page.text.count('name="decision" value="approve"') == 2
    verify = reverse("points_verify_item", kwargs={"pk": collected.pk})
    client.post(verify, {"decision": "approve", "reason": ""})
    response = client.post(
        reverse("points_verify_item", kwargs={"pk": other.pk}),
        {"decision": "reject", "reason": ""},
        follow=True,
    )
    assert "Say why it is rejected" in response.text
    client.post(
        reverse("points_verify_item", kwargs={"pk": other.pk}),
        {"decision": "reject", "reason": "重复申报"},
    )
    member_account.refresh_from_db()
    assert member_account.balance == 6
    assert Entry.objects.count() == 1
    publicity = client.get(reverse("points_publicity", kwargs={"code": branch.community.code}))
    assert publicity.text.count(reverse("points_object", kwargs={"pk": collected.pk})) == 1


def test_an_objection_from_the_publicity_page_sends_the_item_back(
    client, collected, secretary_user, community_officer_of_c1, street_officer
):
    services.submit_batch(by=secretary_user, batch=collected.batch)
    services.verify(by=community_officer_of_c1, declaration=collected, approve=True)
    client.force_login(street_officer)
    url = reverse("points_object", kwargs={"pk": collected.pk})
    client.post(url, {"reason": "那天没有活动"})
    collected.refresh_from_db()
    assert collected.state == Declaration.State.COLLECTED
    assert collected.account.balance == 0


@pytest.fixture
def civility(territory):
    scheme = Scheme.objects.create(
        code="civility", name_en="Civility", name_zh="文明积分", audience="residents"
    )
    Rule.objects.create(
        scheme=scheme,
        code="sorting",
        name_en="Sorting",
        name_zh="垃圾分类",
        points=5,
        verifier=Rule.Verifier.NONE,
    )
    return scheme


def test_staff_find_a_resident_record_conduct_and_hand_over_a_reward(
    client, civility, household, community_officer_of_c1, territory
):
    resident = ResidentFactory(household=household, name="周阿姨")
    client.force_login(community_officer_of_c1)
    record = reverse("points_record", kwargs={"code": territory.community.code})
    assert "周阿姨" in client.get(record + "?q=周").text
    client.post(
        record,
        {
            "client_id": str(uuid.uuid4()),
            "resident": resident.pk,
            "rule": civility.rules.get().pk,
            "served_on": "2026-11-20",
            "description": "主动分类",
        },
    )
    account = Account.objects.get(resident=resident)
    assert account.balance == 5
    reward = Reward.objects.create(
        scheme=civility, community=territory.community, name="洗衣液", cost=4, stock=1
    )
    rewards = reverse("points_rewards", kwargs={"code": territory.community.code})
    assert "周阿姨" in client.get(rewards + "?q=周").text
    key = str(uuid.uuid4())
    client.post(rewards, {"key": key, "account": account.pk, "reward": reward.pk})
    client.post(rewards, {"key": key, "account": account.pk, "reward": reward.pk})  # resent
    account.refresh_from_db()
    reward.refresh_from_db()
    assert (account.balance, reward.stock) == (1, 0)
    again = client.post(
        rewards, {"key": str(uuid.uuid4()), "account": account.pk, "reward": reward.pk}
    )
    assert again.status_code == 200 and "Select a valid choice" in again.text


def test_a_reward_beyond_the_balance_is_refused_with_a_message(
    client, civility, household, community_officer_of_c1, territory
):
    account = services.open_account(
        scheme=civility, resident=ResidentFactory(household=household, name="钱先生")
    )
    reward = Reward.objects.create(
        scheme=civility, community=territory.community, name="米", cost=40, stock=5
    )
    client.force_login(community_officer_of_c1)
    response = client.post(
        reverse("points_rewards", kwargs={"code": territory.community.code}),
        {"key": str(uuid.uuid4()), "account": account.pk, "reward": reward.pk},
    )
    assert response.status_code == 200 and "Not enough points" in response.text
    reward.refresh_from_db()
    assert reward.stock == 5


# --- Queries stay constant whatever the number of rows ----------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_the_work_lists_use_a_constant_number_of_queries(
    rows,
    client,
    member_user,
    member_account,
    hour_rule,
    secretary_user,
    branch,
    community_officer_of_c1,
    django_assert_max_num_queries,
):
    items = [
        declare(
            member_user,
            member_account,
            hour_rule,
            hours="1",
            served_on=dt.date(2026, 1, 1) + dt.timedelta(days=n),
        )
        for n in range(rows)
    ]
    client.force_login(secretary_user)
    with django_assert_max_num_queries(14):
        assert (
            client.get(reverse("points_collect", kwargs={"code": branch.code})).status_code == 200
        )
    batch = services.collect(by=secretary_user, branch=branch, declarations=items)
    with django_assert_max_num_queries(14):
        client.get(reverse("points_collect", kwargs={"code": branch.code}))
    services.submit_batch(by=secretary_user, batch=batch)
    client.force_login(community_officer_of_c1)
    code = branch.community.code
    with django_assert_max_num_queries(14):
        assert client.get(reverse("points_verify", kwargs={"code": code})).status_code == 200
    for item in items:
        services.verify(by=community_officer_of_c1, declaration=item, approve=True)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("points_publicity", kwargs={"code": code})).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("points_rankings", kwargs={"code": code})).status_code == 200
    client.force_login(member_user)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("my_points")).status_code == 200
