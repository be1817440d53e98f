import datetime as dt

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from branches import selectors, services
from branches.models import PartyMember, Registration

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    """The join form's rate-limit counters live in the cache."""
    cache.clear()
    yield
    cache.clear()


def test_the_join_form_is_rate_limited_per_address_like_the_request_form(
    client, territory, settings
):
    settings.PUBLIC_FORM_RATE_IP = "3/h"
    statuses = [
        client.post(
            reverse("join", kwargs={"code": "C1"}),
            {
                "name": f"赵{i}",
                "phone": f"1390000{i:04d}",
                "work_unit": "区税务局",
                "posts": ["health"],
            },
            REMOTE_ADDR="10.0.0.7",
        ).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert Registration.objects.count() == 3
    last = client.post(reverse("join", kwargs={"code": "C1"}), {}, REMOTE_ADDR="10.0.0.7")
    assert int(last["Retry-After"]) > 0
    other = client.post(reverse("join", kwargs={"code": "C1"}), {}, REMOTE_ADDR="10.0.0.8")
    assert other.status_code == 200


def test_a_member_registers_online_without_an_account(client, territory):
    response = client.post(
        reverse("join", kwargs={"code": "C1"}),
        {
            "name": "赵在职",
            "phone": "139 0000 1111",
            "work_unit": "区税务局",
            "posts": ["legal_aid", "mediation"],
        },
    )
    assert response.status_code == 200 and response.context["done"]
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.PENDING
    assert registration.channel == Registration.Channel.ONLINE
    assert registration.member.kind == "in_service" and registration.member.phone == "13900001111"
    assert sorted(registration.claims.values_list("post", flat=True)) == ["legal_aid", "mediation"]


def test_a_bot_filling_the_hidden_field_stores_nothing(client, territory):
    response = client.post(
        reverse("join", kwargs={"code": "C1"}),
        {
            "name": "bot",
            "phone": "13900001111",
            "work_unit": "x",
            "posts": ["health"],
            "website": "http://spam.example",
        },
    )
    assert response.context["done"]
    assert not Registration.objects.exists() and not PartyMember.objects.exists()


def test_the_public_form_explains_bad_input_and_stores_nothing(client, territory):
    response = client.post(
        reverse("join", kwargs={"code": "C1"}),
        {
            "name": "赵在职",
            "phone": "12345",
            "work_unit": "区税务局",
            "posts": [],
        },
    )
    form = response.context["form"]
    assert "posts" in form.errors
    assert not Registration.objects.exists()
    response = client.post(
        reverse("join", kwargs={"code": "C1"}),
        {
            "name": "赵在职",
            "phone": "12345",
            "work_unit": "区税务局",
            "posts": ["health"],
        },
    )
    assert "phone" in response.context["form"].errors


def test_registering_twice_is_refused_politely(client, territory, registration):
    response = client.post(
        reverse("join", kwargs={"code": "C1"}),
        {
            "name": "赵在职",
            "phone": "13900000003",
            "work_unit": "区税务局",
            "posts": ["health"],
        },
    )
    assert "already registered" in response.content.decode()
    assert Registration.objects.count() == 1 and PartyMember.objects.count() == 1


def test_an_unknown_community_code_is_a_404_not_a_500(client, territory):
    assert client.get(reverse("join", kwargs={"code": "NOPE"})).status_code == 404
    assert client.get(reverse("join", kwargs={"code": "G1"})).status_code == 404  # not a community


def test_the_community_confirms_or_rejects_with_a_reason(
    territory, pending, community_officer_of_c1
):
    with pytest.raises(ValidationError) as caught:
        services.decide_registration(
            by=community_officer_of_c1, registration=pending, confirm=False
        )
    assert "reason" in caught.value.message_dict
    decided = services.decide_registration(
        by=community_officer_of_c1, registration=pending, confirm=False, reason="单位信息有误"
    )
    assert decided.status == Registration.Status.REJECTED and decided.reason == "单位信息有误"
    with pytest.raises(ValidationError):
        services.decide_registration(by=community_officer_of_c1, registration=pending, confirm=True)


def test_a_rejected_member_may_register_again(territory, pending, community_officer_of_c1):
    services.decide_registration(
        by=community_officer_of_c1, registration=pending, confirm=False, reason="请补充单位证明"
    )
    again = services.register_in_service_member(
        by=None,
        community=territory.community,
        name="赵在职",
        phone="13900000003",
        work_unit="区税务局",
        posts=["health"],
    )
    assert again.member_id == pending.member_id
    assert Registration.objects.filter(member=pending.member).count() == 2


def test_only_the_community_verifies(territory, pending, street_officer):
    with pytest.raises(PermissionDenied):
        services.decide_registration(by=street_officer, registration=pending, confirm=True)


def test_confirmed_members_without_a_service_this_year_are_listed(
    territory, pending, community_officer_of_c1
):
    services.decide_registration(by=community_officer_of_c1, registration=pending, confirm=True)
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)):
        assert [r.member.name for r in selectors.without_service(territory.community)] == ["赵在职"]
        services.record_service(
            by=community_officer_of_c1,
            member=pending.member,
            served_on=dt.date(2026, 5, 4),
            post="legal_aid",
            description="法律咨询",
        )
        assert selectors.without_service(territory.community) == []
    with time_machine.travel(dt.datetime(2027, 1, 2, 10, tzinfo=dt.UTC)):
        # A new year: last year's service does not count.
        assert [r.member.name for r in selectors.without_service(territory.community)] == ["赵在职"]


def test_a_service_cannot_be_recorded_in_the_future(territory, pending, community_officer_of_c1):
    with pytest.raises(ValidationError):
        services.record_service(
            by=community_officer_of_c1,
            member=pending.member,
            served_on=dt.date.today() + dt.timedelta(days=2),
            post="health",
            description="义诊",
        )


def test_the_queue_page_confirms_with_one_tap(client, territory, pending, community_officer_of_c1):
    client.force_login(community_officer_of_c1)
    page = client.get(reverse("area_registrations", kwargs={"code": "C1"}))
    assert "赵在职" in page.content.decode()
    response = client.post(
        reverse("registration_decide", kwargs={"pk": pending.pk}), {"confirm": "1"}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Registration.Status.CONFIRMED and pending.decided_by is not None


def test_opening_a_members_edit_form_audits_the_full_mobile_like_a_residents(
    client, member, street_officer
):
    client.force_login(street_officer)
    response = client.get(reverse("member_edit", kwargs={"pk": member.pk}), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 200 and member.phone in response.content.decode()
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (entry.actor, entry.object_pk) == (street_officer, str(member.pk))
    assert entry.additional_data == {"revealed": ["phone"]}
    assert entry.remote_addr == "10.0.0.9"


def test_behind_the_proxy_the_access_log_records_the_client_not_the_proxy(
    client, member, street_officer, settings
):
    settings.CLIENT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    client.force_login(street_officer)
    client.get(
        reverse("member_edit", kwargs={"pk": member.pk}),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7",
    )
    assert LogEntry.objects.get(action=LogEntry.Action.ACCESS).remote_addr == "198.51.100.7"
