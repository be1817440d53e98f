"""A new person given a post may activate their account by SMS instead of a temporary
password, and the people page shows whether they have and can resend the code."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from grids.models import Post
from grids.roles import Role

pytestmark = pytest.mark.django_db
NEW = "Qinghu-river-2026"


@pytest.fixture(autouse=True)
def _no_ip_limit(settings):
    settings.RATELIMIT_ENABLE = False


def test_a_rider_gets_an_activation_sms_instead_of_a_temporary_password(
    client, territory, community_officer, sms_log
):
    client.force_login(community_officer)
    response = client.post(
        reverse("post_give", args=[territory.community.code]),
        {
            "role": Role.MOBILE_WORKER,
            "display_name": "骑手小王",
            "phone": "13800138001",
            "activate_by_sms": "on",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    person = get_user_model().objects.get(phone="13800138001")
    assert not person.has_usable_password() and not person.must_change_password
    assert Post.objects.get(user=person).role == Role.MOBILE_WORKER
    assert "138****8001" in sms_log.messages()[-1]

    page = client.get(
        reverse("person_detail", args=[territory.community.code, person.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Not activated yet" in page
    resend = reverse("person_invite", args=[territory.community.code, person.pk])
    assert resend in page
    again = client.post(resend, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "less than a minute" in again.content.decode()

    rider = type(client)()
    form = {"phone": "13800138001", "code": sms_log.code(), "password": NEW, "password2": NEW}
    assert rider.post(reverse("activate_code"), form).status_code == 302
    # A rider lands on their tasks, where they report what they see on their rounds.
    assert rider.get(reverse("home"))["Location"] == reverse("my_tasks")
    assert rider.get(reverse("my_area"))["Location"] == reverse(
        "area_detail", args=[territory.community.code]
    )
