"""An area's WeCom and DingTalk robots on their own pages (issue 20): the officers who form the
area's team keep them at their area and below; the URL's key and the signing secret are never
shown again after saving, not on the page, not in the history, not in the audit log."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import services
from notifications.models import WebhookTarget

pytestmark = pytest.mark.django_db

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
WECOM = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
TOKEN = "a1b2c3d4e5f6deadbeef"
DINGTALK = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
SECRET = "SEC0123456789abcdefSECRETVALUE"


@pytest.fixture
def robot(territory):
    return services.create_robot(by=None, area=territory.community, channel="wecom", url=WECOM)


def test_a_street_officer_adds_a_robot_whose_url_and_secret_are_never_shown_again(
    client, street_officer, territory
):
    client.force_login(street_officer)
    response = client.post(
        reverse("robot_new", args=[territory.community.code]),
        {"channel": "dingtalk", "url": DINGTALK, "secret": SECRET},
        follow=True,
    )
    assert response.status_code == 200
    added = WebhookTarget.objects.get(area=territory.community)
    assert (added.url, added.secret) == (DINGTALK, SECRET)
    for url in (
        reverse("area_robots", args=[territory.street.code]),
        reverse("robot_edit", args=[added.pk]),
    ):
        page = client.get(url).content.decode()
        assert TOKEN not in page and SECRET not in page
    page = client.get(reverse("robot_edit", args=[added.pk])).content.decode()
    assert "set (leave empty to keep)" in page and "History" in page
    for entry in LogEntry.objects.get_for_object(added):
        assert TOKEN not in str(entry.changes) and SECRET not in str(entry.changes)


def test_leaving_the_url_and_secret_empty_keeps_them(client, street_officer, territory):
    added = services.create_robot(
        by=None, area=territory.community, channel="dingtalk", url=DINGTALK, secret=SECRET
    )
    client.force_login(street_officer)
    client.post(
        reverse("robot_edit", args=[added.pk]),
        {"version": added.version, "channel": "dingtalk", "url": "", "secret": ""},
    )
    added.refresh_from_db()
    assert (added.url, added.secret, added.version) == (DINGTALK, SECRET, 2)
    client.post(
        reverse("robot_edit", args=[added.pk]),
        {"version": 2, "channel": "dingtalk", "url": "", "secret": "", "clear_secret": "on"},
    )
    added.refresh_from_db()
    assert (added.url, added.secret) == (DINGTALK, "")


def test_a_street_officer_cannot_edit_another_streets_robot(
    client, other_street_officer, robot, territory
):
    client.force_login(other_street_officer)
    url = reverse("robot_edit", args=[robot.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"channel": "wecom", "url": DINGTALK}).status_code == 404
    assert client.post(reverse("robot_active", args=[robot.pk])).status_code == 404
    assert client.get(reverse("area_robots", args=[territory.street.code])).status_code == 404
    robot.refresh_from_db()
    assert (robot.url, robot.active) == (WECOM, True)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "wecom", "url": "http://qyapi.weixin.qq.com/send?key=x"}, "url"),
        ({"channel": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "url"),
        ({"channel": "dingtalk", "url": WECOM}, "url"),
        ({"channel": "wecom", "url": WECOM, "secret": SECRET}, "secret"),
        ({"channel": "sms", "url": WECOM}, "channel"),
    ],
)
def test_a_bad_robot_shows_the_field_error_and_nothing_is_added(
    client, street_officer, territory, data, field
):
    client.force_login(street_officer)
    response = client.post(reverse("robot_new", args=[territory.community.code]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not WebhookTarget.objects.exists()


def test_a_robot_saved_meanwhile_refuses_the_stale_form_politely(client, street_officer, robot):
    client.force_login(street_officer)
    services.set_robot_active(by=None, robot=robot, active=False)
    response = client.post(
        reverse("robot_edit", args=[robot.pk]),
        {"version": 1, "channel": "wecom", "url": WECOM.replace("key=", "key=new")},
    )
    assert "Someone else saved this record" in response.content.decode()
    robot.refresh_from_db()
    assert robot.url == WECOM


def test_a_deactivated_robot_gets_no_more_messages_until_reactivated(client, street_officer, robot):
    client.force_login(street_officer)
    url = reverse("robot_active", args=[robot.pk])
    client.post(url, {"active": "0", "version": robot.version})
    robot.refresh_from_db()
    assert not robot.active
    client.post(url, {"active": "1", "version": robot.version})
    robot.refresh_from_db()
    assert robot.active


def test_the_area_page_links_to_the_robots_only_for_the_team(
    client, street_officer, own_worker, territory
):
    url = reverse("area_robots", args=[territory.community.code])
    client.force_login(street_officer)
    assert (
        url in client.get(reverse("area_detail", args=[territory.community.code])).content.decode()
    )
    client.force_login(own_worker)
    page = client.get(reverse("area_detail", args=[territory.grid.code])).content.decode()
    assert reverse("area_robots", args=[territory.grid.code]) not in page


def test_the_robots_list_takes_as_many_queries_for_fifty_as_for_one(
    client, street_officer, robot, territory
):
    client.force_login(street_officer)
    url = reverse("area_robots", args=[territory.street.code])
    cache.clear()  # both counts with nothing cached: the same work for the page
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(49):
        services.create_robot(
            by=None, area=territory.grid, channel="wecom", url=f"{WECOM}{n}", secret=""
        )
    cache.clear()
    with CaptureQueriesContext(connection) as fifty:
        client.get(url)
    assert len(fifty) == len(one)


def test_the_admin_does_not_echo_a_robots_url_or_secret_and_keeps_them_when_left_empty(
    admin_client, territory
):
    added = services.create_robot(
        by=None, area=territory.community, channel="dingtalk", url=DINGTALK, secret=SECRET
    )
    url = reverse("admin:notifications_webhooktarget_change", args=[added.pk])
    page = admin_client.get(url).content.decode()
    assert TOKEN not in page and SECRET not in page
    response = admin_client.post(url, {"channel": "dingtalk", "url": "", "secret": ""})
    assert response.status_code == 302
    added.refresh_from_db()
    assert (added.url, added.secret, added.active) == (DINGTALK, SECRET, False)
    response = admin_client.post(url, {"channel": "wecom", "url": "", "active": "on"})
    assert response.status_code == 200  # a WeCom robot has no secret: refused on the form
    added.refresh_from_db()
    assert added.channel == "dingtalk"
