"""The daily digest to grid leaders and community officers: counts of their own area, once a
day, not before the configured hour."""

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from grids.roles import Role
from notifications.models import NoticeKind, Notification
from tests.factories import PostFactory, UserFactory
from tickets import digest, services
from tickets.models import Channel

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def leader(territory):
    user = UserFactory(username="leader_g1", email="leader@example.org")
    PostFactory(user=user, area=territory.grid, role=Role.GRID_LEADER)
    return user


def _file(territory, matter, grid=None):
    return services.submit(
        channel=Channel.QR,
        matter=matter,
        description="楼道堆满纸箱",
        reporter_phone="13812345678",
        grid=grid or territory.grid,
    )


def test_each_leader_and_officer_gets_the_counts_of_their_own_area(
    territory, matter, leader, dispatcher, settings
):
    settings.DIGEST_HOUR = 8
    with time_machine.travel(dt.datetime(2026, 11, 22, 9, tzinfo=SH), tick=False):
        _file(territory, matter)
        _file(territory, matter, grid=territory.neighbour_grid)
        _file(territory, matter)
    with time_machine.travel(dt.datetime(2026, 11, 24, 8, 5, tzinfo=SH), tick=False):
        _file(territory, matter)
        assert digest.send_digests() == 2
    digests = Notification.objects.filter(kind=NoticeKind.DIGEST)
    by_user = {n.recipient.username: n.params for n in digests}
    # The grid leader dispatches in G1: three requests there, all but one of them new today.
    assert by_user["leader_g1"]["overdue"] == 2  # the 4-hour response time has passed
    assert (by_user["leader_g1"]["new"], by_user["dispatcher_c1"]["overdue"]) == (1, 3)
    assert by_user["dispatcher_c1"]["area"] == territory.community.name
    # Besides the digests, only the bell's news of each new request (issue 22).
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {NoticeKind.DIGEST, NoticeKind.NEW_REQUEST}
    assert digests.count() == 2


def test_no_digest_before_the_hour_and_one_a_day_however_often_it_runs(territory, leader, settings):
    settings.DIGEST_HOUR = 8
    with time_machine.travel(dt.datetime(2026, 11, 24, 7, 59, tzinfo=SH), tick=False):
        assert digest.send_digests() == 0
    with time_machine.travel(dt.datetime(2026, 11, 24, 8, 5, tzinfo=SH), tick=False):
        assert digest.send_digests() == 1
    with time_machine.travel(dt.datetime(2026, 11, 24, 15, 5, tzinfo=SH), tick=False):
        assert digest.send_digests() == 0
    with time_machine.travel(dt.datetime(2026, 11, 25, 8, 5, tzinfo=SH), tick=False):
        assert digest.send_digests() == 1
    assert Notification.objects.filter(recipient=leader).count() == 2


def test_a_grid_worker_gets_no_digest(territory, own_worker, settings):
    settings.DIGEST_HOUR = 0
    assert digest.send_digests() == 0


def test_the_digest_command_can_send_before_the_hour(territory, leader, settings):
    settings.DIGEST_HOUR = 23
    out = io.StringIO()
    with time_machine.travel(dt.datetime(2026, 11, 24, 6, tzinfo=SH), tick=False):
        call_command("send_digests", stdout=out)
        call_command("send_digests", "--now", stdout=out)
    assert out.getvalue().splitlines() == ["0 digests written", "1 digests written"]
    (note,) = Notification.objects.all()
    assert note.deliveries.get().channel == "email"
