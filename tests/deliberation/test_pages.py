"""Staff and public pages: the walk of a topic through the topic page, the public forms (a
resident raises, objects, rates), what a public page never shows, and constant queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation import services
from deliberation.models import Topic

S = Topic.Status


@pytest.fixture(autouse=True)
def _roomy_rate_limit(settings):
    """The address's counts outlive a test in Redis: a run must not inherit the last one's."""
    settings.PUBLIC_FORM_RATE_IP = "1000/h"


def _post(client, topic, action, **data):
    return client.post(reverse("deliberation_topic", args=[topic.pk]), {"action": action, **data})


def test_the_officer_walks_a_topic_to_its_decision(client, community_officer, topic):
    client.force_login(community_officer)
    assert _post(client, topic, "accept").status_code == 302
    today = timezone.localdate().isoformat()
    response = _post(
        client,
        topic,
        "meeting",
        held_on=today,
        place="红色议事厅",
        residents=10,
        party_members=3,
        property_company=1,
        co_building_units=0,
        method="hands",
        option_0="加装电梯",
        option_0_for=12,
        option_0_against=1,
        option_0_abstain=1,
        option_1="暂缓",
        option_1_for=1,
        option_1_against=12,
        option_2="",
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.SCHEDULED and topic.options.count() == 2
    option = topic.options.order_by("pk").first()
    _post(client, topic, "decide", option=option.pk, text="通过", days=7)
    topic.refresh_from_db()
    assert topic.status == S.DECIDED
    page = client.get(reverse("deliberation_topic", args=[topic.pk]))
    assert "139****5678" in page.content.decode() and "13912345678" not in page.content.decode()


def test_too_many_votes_come_back_on_the_form(client, community_officer, topic):
    client.force_login(community_officer)
    _post(client, topic, "accept")
    response = _post(
        client,
        topic,
        "meeting",
        held_on=timezone.localdate().isoformat(),
        place="议事室",
        residents=3,
        party_members=0,
        property_company=0,
        co_building_units=0,
        method="paper",
        option_0="a",
        option_0_for=5,
    )
    assert response.status_code == 200
    assert "took part in the meeting" in response.content.decode()


def test_the_street_reads_but_the_district_cannot_act(client, district_officer, topic):
    client.force_login(district_officer)
    assert client.get(reverse("deliberation_topic", args=[topic.pk])).status_code == 200
    assert _post(client, topic, "accept").status_code == 403


def test_a_resident_raises_a_topic_on_the_public_page(client, territory):
    url = reverse("deliberation_public", args=[territory.community.code])
    response = client.post(
        url, {"title": "增设健身器材", "description": "老人缺少锻炼场所", "phone": "139 1234 5678"}
    )
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert topic.raised_by_phone == "13912345678" and topic.grid is None
    # Not on the public page until the community accepts it.
    assert "增设健身器材" not in client.get(url).content.decode()


def test_the_honeypot_drops_a_bot(client, territory):
    url = reverse("deliberation_public", args=[territory.community.code])
    client.post(url, {"title": "x", "description": "y", "phone": "13912345678", "website": "z"})
    assert not Topic.objects.exists()


def test_objections_only_during_the_notice(client, met_topic):
    decision = services.decide(
        topic=met_topic, by=None, option=met_topic.options.first(), text="通过"
    )
    url = reverse("deliberation_notice", args=["C1", met_topic.pk])
    page = client.get(url).content.decode()
    assert 'name="text"' in page and "张秀英" not in page and "5678" not in page
    client.post(url, {"text": "施工时间避开午休", "phone": "13700000000"})
    assert decision.objections.count() == 1
    decision.objections_until = timezone.localdate() - dt.timedelta(days=1)
    decision.save()
    assert 'name="text"' not in client.get(url).content.decode()


def test_a_raised_topic_has_no_public_page(client, topic):
    url = reverse("deliberation_notice", args=["C1", topic.pk])
    assert client.get(url).status_code == 404


def test_residents_rate_a_completed_project(client, completed_project):
    url = reverse("deliberation_project", args=["C1", completed_project.pk])
    client.post(url, {"stars": 4, "comment": "好", "phone": "13800000000"})
    response = client.post(url, {"stars": 1, "phone": "13800000000"})
    assert response.status_code == 400
    assert completed_project.ratings.count() == 1
    listing = client.get(reverse("deliberation_projects", args=["C1"])).content.decode()
    assert "★ 4.0" in listing


def _topics(territory, n):
    from deliberation.models import Decision, Meeting, Option, Project, Rating

    now = timezone.now()
    topics = Topic.objects.bulk_create(
        Topic(
            community=territory.community,
            grid=territory.grid,
            title=f"议题{i}",
            description="d",
            channel="public",
            status=S.DONE,
            created_at=now,
        )
        for i in range(n)
    )
    meetings = Meeting.objects.bulk_create(
        Meeting(topic=t, held_on=now.date(), place="p", residents=5) for t in topics
    )
    options = Option.objects.bulk_create(
        Option(topic=t, meeting=m, text="o", votes_for=3)
        for t, m in zip(topics, meetings, strict=True)
    )
    Decision.objects.bulk_create(
        Decision(topic=t, option=o, text="d", objections_until=now.date())
        for t, o in zip(topics, options, strict=True)
    )
    projects = Project.objects.bulk_create(
        Project(topic=t, title="p", budget=100, funding="street", completed_on=now.date())
        for t in topics
    )
    Rating.objects.bulk_create(Rating(project=p, stars=4, phone_digest=str(p.pk)) for p in projects)
    return topics


@pytest.mark.parametrize("n", [1, 50])
def test_lists_take_constant_queries(
    client, territory, street_officer, n, django_assert_max_num_queries
):
    _topics(territory, n)
    client.force_login(street_officer)
    with django_assert_max_num_queries(14):
        assert (
            client.get(reverse("deliberation_board", args=["C1"]) + "?tab=closed").status_code
            == 200
        )
    client.logout()
    for name in ("deliberation_public", "deliberation_projects"):
        with django_assert_max_num_queries(6):
            assert client.get(reverse(name, args=["C1"])).status_code == 200


def test_the_board_and_the_public_pages_read_a_page_at_a_time(
    client, territory, street_officer, django_assert_max_num_queries
):
    topics = _topics(territory, 60)
    # The same moment for all: the latest created (highest pk) first.
    newest = [t.pk for t in sorted(topics, key=lambda t: -t.pk)]
    client.force_login(street_officer)
    board = reverse("deliberation_board", args=["C1"])
    first = client.get(board, {"tab": "closed"})
    assert [t.pk for t in first.context["topics"]] == newest[:25]
    assert {k: n for k, _label, n in first.context["tabs"]}["closed"] == 60
    # The page link keeps the tab.
    assert 'href="?tab=closed&amp;page=2"' in first.content.decode()
    with django_assert_max_num_queries(14):
        second = client.get(board, {"tab": "closed", "page": 2})
    assert [t.pk for t in second.context["topics"]] == newest[25:50]
    assert second.context["page"].paginator.num_pages == 3
    # Another tab has its own pages: nothing raised here.
    assert list(client.get(board, {"tab": "raised", "page": 2}).context["topics"]) == []
    client.logout()

    public = reverse("deliberation_public", args=["C1"])
    first = client.get(public, {"sent": "1"})
    assert [t.pk for t in first.context["topics"]] == newest[:20]
    # The thank-you is not carried to the next page.
    assert 'href="?page=2"' in first.content.decode()
    with django_assert_max_num_queries(7):
        second = client.get(public, {"page": 2})
    assert [t.pk for t in second.context["topics"]] == newest[20:40]
    assert 'href="?page=3"' in second.content.decode()
    assert 'href="?page=1"' in second.content.decode()

    projects = reverse("deliberation_projects", args=["C1"])
    with django_assert_max_num_queries(7):
        third = client.get(projects, {"page": 3})
    assert len(third.context["projects"]) == 20
    assert third.context["page"].paginator.count == 60
    assert 'href="?page=2"' in third.content.decode()
