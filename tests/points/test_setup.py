"""Setting the points up on product pages (issue 20): the community's rewards and stock, the
district's schemes and rule versions, the street's red and black lists — scoped, validated,
audited, through the same services as the admin."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from points import services
from points.models import HonourList, Reward, Rule, StockChange
from points.periods import parse
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def _reward_data(scheme, **extra):
    return {"name": "食用油", "scheme": scheme.pk, "cost": 30, "station": "", "stock": 4, **extra}


# --- Rewards and their stock -------------------------------------------------------------------


def test_the_community_officer_adds_a_reward_with_its_stock_and_sees_its_history(
    client, community_officer, service_scheme, territory
):
    client.force_login(community_officer)
    url = reverse("points_reward_catalogue", kwargs={"code": territory.community.code})
    response = client.post(url, _reward_data(service_scheme))
    reward = Reward.objects.get(name="食用油")
    assert response.status_code == 302 and response["Location"] == reverse(
        "points_reward", kwargs={"pk": reward.pk}
    )
    assert (reward.community, reward.stock) == (territory.community, 4)
    assert StockChange.objects.get(reward=reward).change == 4
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["history"], "the reward's creation is on its page"
    # The rewards page links the catalogue for whoever keeps it.
    rewards = client.get(reverse("points_rewards", kwargs={"code": territory.community.code}))
    assert url in rewards.content.decode()


def test_stock_is_added_with_a_note_and_never_taken_below_what_is_left(
    client, community_officer, reward
):
    client.force_login(community_officer)
    url = reverse("points_reward_stock", kwargs={"pk": reward.pk})
    assert client.post(url, {"change": 10, "note": "街道配送"}).status_code == 302
    reward.refresh_from_db()
    assert reward.stock == 15
    refused = client.post(url, {"change": -16, "note": "盘点"})
    assert refused.status_code == 200 and "change" in refused.context["stock_form"].errors
    no_note = client.post(url, {"change": 3, "note": ""})
    assert "note" in no_note.context["stock_form"].errors
    reward.refresh_from_db()
    assert reward.stock == 15
    assert list(reward.stock_changes.values_list("change", "stock_after", "note")) == [
        (10, 15, "街道配送")
    ]


def test_a_handover_and_a_stock_change_never_overdraw_the_stock(
    community_officer, reward, service_scheme, member_account
):
    from points.models import Entry

    services.post(
        account=member_account,
        amount=500,
        kind=Entry.Kind.EARN,
        idempotency_key="seed",
        by=community_officer,
    )
    services.adjust_stock(by=community_officer, reward=reward, change=-4, note="破损")
    services.redeem(
        account=member_account, reward=reward, by=community_officer, idempotency_key="r1"
    )
    reward.refresh_from_db()
    assert reward.stock == 0
    with pytest.raises(ValidationError):
        services.adjust_stock(by=community_officer, reward=reward, change=-1, note="盘点")


def test_a_reward_is_edited_and_retired_and_bad_input_changes_nothing(
    client, community_officer, reward, service_scheme, territory
):
    client.force_login(community_officer)
    url = reverse("points_reward", kwargs={"pk": reward.pk})
    bad = client.post(url, {"name": "", "scheme": service_scheme.pk, "cost": 0, "active": "on"})
    assert bad.status_code == 200
    assert {"name", "cost"} <= set(bad.context["form"].errors)
    reward.refresh_from_db()
    assert (reward.name, reward.cost) == ("大米5kg", 50)
    # Retired: off the handover page, still in the catalogue; the stock is left as it was.
    client.post(url, {"name": "大米10kg", "scheme": service_scheme.pk, "cost": 80})
    reward.refresh_from_db()
    assert (reward.name, reward.cost, reward.active, reward.stock) == ("大米10kg", 80, False, 5)
    rewards = client.get(reverse("points_rewards", kwargs={"code": territory.community.code}))
    assert reward not in rewards.context["catalogue"]


def test_a_reward_is_collected_at_a_station_of_its_own_community(
    community_officer, reward, territory
):
    from tests.stations.factories import StationFactory

    elsewhere = StationFactory(code="G3-ZD", name="和平站", area=territory.far_grid)
    reward.station = elsewhere
    with pytest.raises(ValidationError):
        services.save_reward(by=community_officer, reward=reward)


def test_a_community_officer_cannot_reach_another_communitys_reward(
    client, community_officer, service_scheme, territory
):
    other = Reward.objects.create(
        scheme=service_scheme, community=territory.other_community, name="毛巾", cost=5, stock=3
    )
    client.force_login(community_officer)
    assert client.get(reverse("points_reward", kwargs={"pk": other.pk})).status_code == 404
    stock = reverse("points_reward_stock", kwargs={"pk": other.pk})
    assert client.post(stock, {"change": 5, "note": "x"}).status_code == 404
    catalogue = reverse("points_reward_catalogue", kwargs={"code": territory.other_community.code})
    assert client.post(catalogue, _reward_data(service_scheme)).status_code == 404
    other.refresh_from_db()
    assert other.stock == 3 and not Reward.objects.filter(name="食用油").exists()
    with pytest.raises(PermissionDenied):
        services.adjust_stock(by=community_officer, reward=other, change=1, note="x")


@pytest.mark.parametrize("rows", [1, 50])
def test_the_catalogue_reads_in_a_fixed_number_of_queries(
    rows, client, community_officer, service_scheme, territory, django_assert_max_num_queries
):
    Reward.objects.bulk_create(
        Reward(scheme=service_scheme, community=territory.community, name=f"R{n}", cost=n + 1)
        for n in range(rows)
    )
    client.force_login(community_officer)
    url = reverse("points_reward_catalogue", kwargs={"code": territory.community.code})
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


# --- Schemes and rule versions -------------------------------------------------------------------


def _rule_data(rule, **changes):
    data = {
        "name_en": rule.name_en,
        "name_zh": rule.name_zh,
        "points": rule.points,
        "unit": rule.unit,
        "cap_day": rule.cap_day or "",
        "cap_month": rule.cap_month or "",
        "cap_year": rule.cap_year or "",
        "verifier": rule.verifier,
    }
    if rule.evidence_required:
        data["evidence_required"] = "on"
    return {**data, **changes}


def test_the_district_revises_a_rule_by_a_new_version_shown_with_its_history(
    client, district_officer, hour_rule
):
    client.force_login(district_officer)
    url = reverse("points_rule_revise", kwargs={"pk": hour_rule.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, _rule_data(hour_rule, points=3))
    assert response.status_code == 302
    old, new = Rule.objects.filter(code="volunteer").order_by("version")
    assert (old.points, old.superseded_at is not None) == (2, True)
    assert (new.version, new.points, new.created_by) == (2, 3, district_officer)
    page = client.get(reverse("points_scheme", kwargs={"pk": hour_rule.scheme_id}))
    (rule,) = page.context["rules"]
    assert rule["current"] == new
    latest = rule["versions"][0]
    assert [(str(label), before, after) for label, before, after in latest["changes"]] == [
        ("points", "2", "3")
    ]
    # The superseded version cannot be revised again; history is never edited in place.
    assert client.get(url).status_code == 404


def test_a_revision_with_bad_or_no_changes_makes_no_version(client, district_officer, hour_rule):
    client.force_login(district_officer)
    url = reverse("points_rule_revise", kwargs={"pk": hour_rule.pk})
    bad = client.post(url, _rule_data(hour_rule, points=0))
    assert bad.status_code == 200 and "points" in bad.context["form"].errors
    same = client.post(url, _rule_data(hour_rule))
    assert same.status_code == 200 and same.context["form"].non_field_errors()
    assert Rule.objects.filter(code="volunteer").count() == 1


def test_the_district_adds_a_rule_and_a_code_is_used_once(
    client, district_officer, hour_rule, service_scheme
):
    client.force_login(district_officer)
    url = reverse("points_rule_new", kwargs={"pk": service_scheme.pk})
    fresh = {**_rule_data(hour_rule, name_en="Patrol", name_zh="巡逻"), "code": "patrol"}
    assert client.post(url, fresh).status_code == 302
    rule = Rule.objects.get(code="patrol")
    assert (rule.version, rule.created_by) == (1, district_officer)
    again = client.post(url, {**fresh, "code": "volunteer"})
    assert "code" in again.context["form"].errors
    assert Rule.objects.filter(code="volunteer").count() == 1


def test_the_district_edits_a_scheme_and_sees_its_history(client, district_officer, service_scheme):
    client.force_login(district_officer)
    url = reverse("points_scheme", kwargs={"pk": service_scheme.pk})
    data = {"name_zh": "党员服务积分", "name_en": "Service points", "publicity_days": 7}
    assert client.post(url, {**data, "active": "on"}).status_code == 302
    service_scheme.refresh_from_db()
    assert service_scheme.publicity_days == 7
    assert client.get(url).context["history"]


def test_nobody_below_the_district_touches_a_scheme(
    client, street_officer, community_officer, hour_rule, service_scheme
):
    for officer in (street_officer, community_officer):
        client.force_login(officer)
        revise = reverse("points_rule_revise", kwargs={"pk": hour_rule.pk})
        assert client.post(revise, _rule_data(hour_rule, points=9)).status_code == 403
        scheme = reverse("points_scheme", kwargs={"pk": service_scheme.pk})
        assert client.post(scheme, {"publicity_days": 1}).status_code == 403
        with pytest.raises(PermissionDenied):
            services.revise_rule(rule=hour_rule, by=officer, points=9)
    assert Rule.objects.filter(code="volunteer").count() == 1


@pytest.mark.parametrize("rules", [1, 50])
def test_a_scheme_page_reads_in_a_fixed_number_of_queries(
    rules, client, district_officer, service_scheme, django_assert_max_num_queries
):
    for n in range(rules):
        rule = Rule.objects.create(
            scheme=service_scheme, code=f"r{n}", name_en="r", name_zh="r", points=1
        )
        services.revise_rule(rule=rule, points=2)
    client.force_login(district_officer)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("points_scheme", kwargs={"pk": service_scheme.pk}))
    assert len(page.context["rules"]) == rules
    district = reverse("points_schemes", kwargs={"code": "D"})
    with django_assert_max_num_queries(12):
        assert client.get(district).status_code == 200


# --- Red and black lists set up by the street --------------------------------------------------


def _list_data(scheme, **extra):
    return {
        "name_zh": "社区积分榜",
        "name_en": "Communities by points",
        "scheme": scheme.pk,
        "unit": "community",
        "measure": "total",
        "size": 2,
        "active": "on",
        **extra,
    }


def test_the_street_sets_up_a_list_for_its_own_units(
    client, street_officer, service_scheme, territory
):
    client.force_login(street_officer)
    url = reverse("points_honour_lists", kwargs={"code": territory.street.code})
    assert client.post(url, _list_data(service_scheme)).status_code == 302
    made = HonourList.objects.get(name_zh="社区积分榜")
    assert made.area == territory.street
    bad = client.post(url, _list_data(service_scheme, size=0, measure="nonsense"))
    assert {"size", "measure"} <= set(bad.context["form"].errors)
    assert HonourList.objects.count() == 1
    # Deactivated on its page, with its history.
    page = reverse("points_honour_list", kwargs={"pk": made.pk})
    data = _list_data(service_scheme)
    del data["active"]
    assert client.post(page, data).status_code == 302
    made.refresh_from_db()
    assert not made.active
    assert client.get(page).context["history"]
    # The red and black lists page links the set-up to the street.
    honours = client.get(reverse("points_honours", kwargs={"code": territory.street.code}))
    assert url in honours.content.decode()


def test_a_street_cannot_set_up_another_streets_list_or_a_district_wide_one(
    client, other_street_officer, street_officer, street_honour_list, service_scheme, territory
):
    client.force_login(other_street_officer)
    url = reverse("points_honour_lists", kwargs={"code": territory.street.code})
    assert client.post(url, _list_data(service_scheme)).status_code == 404
    page = reverse("points_honour_list", kwargs={"pk": street_honour_list.pk})
    assert client.post(page, _list_data(service_scheme)).status_code == 404
    street_honour_list.refresh_from_db()
    assert street_honour_list.name_zh == "支部人均积分榜"
    district_wide = HonourList(
        scheme=service_scheme, name_en="d", name_zh="d", unit="branch", measure="total"
    )
    with pytest.raises(PermissionDenied):
        services.save_honour_list(by=street_officer, honour_list=district_wide)
    moved = HonourList.objects.get(pk=street_honour_list.pk)
    moved.area = territory.other_street
    with pytest.raises(PermissionDenied):
        services.save_honour_list(by=other_street_officer, honour_list=moved)


def test_the_district_keeps_the_district_wide_lists(client, district_officer, service_scheme):
    client.force_login(district_officer)
    url = reverse("points_honour_lists", kwargs={"code": "D"})
    assert client.post(url, _list_data(service_scheme)).status_code == 302
    assert HonourList.objects.get().area is None


@time_machine.travel(dt.datetime(2026, 11, 22, 10), tick=False)
def test_a_streets_list_is_published_in_the_street_only(
    client, street_honour_list, street_officer, territory
):
    other = UserFactory(username="s2_officer")
    PostFactory(user=other, area=territory.other_street, role="street_staff")
    with pytest.raises(ValidationError, match="another street"):
        services.publish_honours(
            by=other,
            honour_list=street_honour_list,
            area=territory.other_street,
            period=parse("2026-H1"),
        )
    client.force_login(other)
    page = client.get(reverse("points_honours", kwargs={"code": territory.other_street.code}))
    assert street_honour_list not in page.context["lists"]
    client.force_login(street_officer)
    page = client.get(reverse("points_honours", kwargs={"code": territory.community.code}))
    assert street_honour_list in page.context["lists"]


def test_the_admin_saves_through_the_same_services(admin_client, hour_rule):
    url = f"/admin/points/rule/{hour_rule.pk}/change/"
    data = _rule_data(hour_rule, points=4)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    assert list(Rule.objects.filter(code="volunteer").values_list("version", "points")) == [
        (2, 4),
        (1, 2),
    ]


def test_links_to_the_set_up_pages_are_shown_only_to_who_may_open_them(
    client, community_officer, street_officer, district_officer, territory
):
    area = lambda code: reverse("area_detail", kwargs={"code": code})  # noqa: E731
    client.force_login(community_officer)
    page = client.get(area("C1")).content.decode()
    assert reverse("points_reward_catalogue", kwargs={"code": "C1"}) in page
    client.force_login(street_officer)
    page = client.get(area("S1")).content.decode()
    assert reverse("points_honour_lists", kwargs={"code": "S1"}) in page
    assert reverse("points_schemes", kwargs={"code": "D"}) not in page
    page = client.get(area("C1")).content.decode()
    assert reverse("points_reward_catalogue", kwargs={"code": "C1"}) not in page
    client.force_login(district_officer)
    page = client.get(area("D")).content.decode()
    assert reverse("points_schemes", kwargs={"code": "D"}) in page
    assert reverse("points_honour_lists", kwargs={"code": "D"}) in page


def test_the_district_adds_a_scheme_and_its_rules_show_in_its_history(
    client, district_officer, street_officer
):
    url = reverse("points_schemes", kwargs={"code": "D"})
    data = {
        "code": "green",
        "name_zh": "绿色积分",
        "name_en": "Green points",
        "audience": "residents",
        "publicity_days": 3,
    }
    client.force_login(street_officer)
    assert client.post(url, data).status_code == 404
    client.force_login(district_officer)
    bad = client.post(url, {**data, "code": "not a slug"})
    assert "code" in bad.context["form"].errors
    response = client.post(url, data)
    from points.models import Scheme

    scheme = Scheme.objects.get(code="green")
    assert response["Location"] == reverse("points_scheme", kwargs={"pk": scheme.pk})
    services.add_rule(
        by=district_officer, scheme=scheme, code="bins", name_en="b", name_zh="b", points=1
    )
    page = client.get(response["Location"])
    assert any(change.subject for change in page.context["history"]), "the rule's creation"
