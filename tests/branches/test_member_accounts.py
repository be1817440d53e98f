"""A member the community confirms (or adds) gets a sign-in account, activated by SMS code,
and lands on their points (issue 20)."""

import pytest
from django.urls import reverse

from accounts import services as accounts
from branches import services
from branches.models import PartyMember
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW = "Qinghu-river-2026"


@pytest.fixture(autouse=True)
def _no_ip_limit(settings):
    settings.RATELIMIT_ENABLE = False


def test_confirming_a_registration_makes_an_account_and_sends_the_code(
    client, pending, community_officer_of_c1, sms_log
):
    decided = services.decide_registration(
        by=community_officer_of_c1, registration=pending, confirm=True
    )
    member = PartyMember.objects.get(pk=pending.member_id)
    assert member.user is not None and decided.account.created
    assert member.user.display_name == "赵在职" and member.user.phone == "13900000003"
    assert not member.user.has_usable_password()
    (message,) = sms_log.messages()
    assert "139****0003" in message
    form = {"phone": "13900000003", "code": sms_log.code(), "password": NEW, "password2": NEW}
    response = client.post(reverse("activate_code"), form)
    assert response.status_code == 302
    # Without a post, a member lands on their points.
    assert client.get(reverse("home"))["Location"] == reverse("my_points")


def test_a_rejection_makes_no_account(pending, community_officer_of_c1, sms_log):
    services.decide_registration(
        by=community_officer_of_c1, registration=pending, confirm=False, reason="单位不符"
    )
    assert PartyMember.objects.get(pk=pending.member_id).user is None
    assert sms_log.messages() == []


def test_the_account_with_the_same_mobile_is_linked_not_duplicated(
    pending, community_officer_of_c1, sms_log
):
    existing = UserFactory(username="zhao", phone="13900000003")
    decided = services.decide_registration(
        by=community_officer_of_c1, registration=pending, confirm=True
    )
    assert PartyMember.objects.get(pk=pending.member_id).user == existing
    assert not decided.account.created and decided.account.invitation is None
    assert sms_log.messages() == []  # has a password already


def test_the_queue_page_says_the_code_was_sent(client, pending, community_officer_of_c1, sms_log):
    client.force_login(community_officer_of_c1)
    response = client.post(
        reverse("registration_decide", kwargs={"pk": pending.pk}),
        {"confirm": "1"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "An activation code was sent" in response.content.decode()


def test_a_member_without_an_account_sees_no_post_page_and_one_with_it_their_points(client):
    user = UserFactory(username="no_member")
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200


def test_an_invitation_is_sent_again_but_not_twice_a_minute(
    pending, community_officer_of_c1, sms_log
):
    services.decide_registration(by=community_officer_of_c1, registration=pending, confirm=True)
    member = PartyMember.objects.get(pk=pending.member_id)
    again = services.invite_member(by=community_officer_of_c1, member=member)
    assert again.invitation is None and "less than a minute" in again.problem
    assert len(sms_log.messages()) == 1
    assert not accounts.is_activated(member.user)


def test_adding_a_member_with_an_account_sends_the_code(
    client, territory, community_officer_of_c1, sms_log
):
    client.force_login(community_officer_of_c1)
    response = client.post(
        reverse("member_create", kwargs={"code": "C1"}),
        {
            "name": "周新",
            "phone": "139 0000 7777",
            "kind": "resident",
            "active": "on",
            "create_account": "on",
        },
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    member = PartyMember.objects.get(name="周新")
    assert member.user is not None and member.user.phone == "13900007777"
    page = response.content.decode()
    assert "An activation code was sent" in page and 'data-account="invited"' in page
    assert "139****7777" in sms_log.messages()[-1]


def test_adding_a_member_without_the_box_makes_no_account(
    client, territory, community_officer_of_c1, sms_log
):
    client.force_login(community_officer_of_c1)
    client.post(
        reverse("member_create", kwargs={"code": "C1"}),
        {"name": "吴无号", "phone": "139 0000 8888", "kind": "resident", "active": "on"},
    )
    assert PartyMember.objects.get(name="吴无号").user is None
    assert sms_log.messages() == []


def test_the_member_page_resends_the_invitation(client, member, community_officer_of_c1, sms_log):
    client.force_login(community_officer_of_c1)
    page = client.get(reverse("member_detail", kwargs={"pk": member.pk})).content.decode()
    assert 'data-account="none"' in page and reverse("member_invite", args=[member.pk]) in page
    client.post(reverse("member_invite", kwargs={"pk": member.pk}))
    member.refresh_from_db()
    assert member.user is not None and len(sms_log.messages()) == 1
    again = client.post(
        reverse("member_invite", kwargs={"pk": member.pk}), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "less than a minute" in again.content.decode() and len(sms_log.messages()) == 1
