"""A topic a resident raises on the public page: the community's deliberation staff hear of
it at once, once, with a link to the topic; nobody else does."""

import pytest
from django.urls import reverse

from deliberation import services
from deliberation.models import Topic
from notifications.models import NoticeKind, Notification
from notifications.texts import describe


@pytest.fixture(autouse=True)
def _roomy_rate_limit(settings):
    settings.PUBLIC_FORM_RATE_IP = "1000/h"


def test_the_communitys_staff_hear_of_a_public_topic(
    client,
    territory,
    community_officer,
    street_officer,
    other_street_officer,
    district_officer,
    own_worker,
    django_capture_on_commit_callbacks,
):
    community_officer.email = "c1@example.org"
    community_officer.save(update_fields=["email"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("deliberation_public", args=["C1"]),
            {"title": "楼道灯坏了", "description": "晚上看不见。", "phone": "13900000000"},
        )
    assert response.status_code == 302
    topic = Topic.objects.get()
    told = Notification.objects.filter(kind=NoticeKind.TOPIC_RAISED)
    assert {n.recipient.username for n in told} == {"community_officer", "street_officer"}
    # The email delivery is sent once the topic is committed.
    assert callbacks
    text = describe(told.first())
    assert text.link == reverse("deliberation_topic", args=[topic.pk])
    assert "楼道灯坏了" in text.title
    # Once: announcing again adds nothing.
    assert services._announce(topic) == 0
    assert told.count() == 2


def test_a_topic_a_worker_raises_rings_no_bell(territory, community_officer, own_worker):
    services.raise_topic(
        community=territory.community,
        grid=territory.grid,
        title="t",
        description="d",
        by=own_worker,
    )
    assert not Notification.objects.filter(kind=NoticeKind.TOPIC_RAISED).exists()


def test_a_refused_topic_tells_no_one(territory, community_officer):
    with pytest.raises(Exception):  # noqa: B017 - the refusal itself is tested elsewhere
        services.raise_topic(community=territory.grid, title="t", description="d")
    assert not Notification.objects.exists()
