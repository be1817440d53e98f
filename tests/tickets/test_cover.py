"""AB岗 in requests: while the assignee is on leave, the colleague who covers them hears the
reminders and sees the request among their tasks; afterwards it is the assignee's again."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from grids import services as grid_services
from grids.models import Leave, Post
from notifications.models import NoticeKind, Notification
from tests.factories import jpeg
from tickets import selectors, services, sweep
from tickets.models import Channel

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 11, 23, 9, tzinfo=SH)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def assigned(clock, territory, matter, dispatcher, member_worker):
    submitted = services.submit(
        channel=Channel.QR,
        matter=matter,
        description="楼道堆满纸箱",
        reporter_phone="13812345678",
        grid=territory.grid,
    )
    return services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=submitted),
        assignee=member_worker,
    )


@pytest.fixture
def away(assigned, community_officer, member_worker, neighbour_worker):
    """刘党员 is on leave 25–26 Nov; the worker of G2 covers them."""
    grid_services.set_cover(
        by=community_officer,
        post=Post.objects.get(user=member_worker),
        covered_by=neighbour_worker,
    )
    grid_services.record_leave(
        by=community_officer,
        user=member_worker,
        starts_on=dt.date(2026, 11, 25),
        ends_on=dt.date(2026, 11, 26),
    )


def test_reminders_for_a_request_go_to_the_colleague_while_its_assignee_is_away(
    clock, assigned, away
):
    due = assigned.completion_due  # Thursday 26 Nov 18:00
    clock.move_to(due - dt.timedelta(days=1))  # 25 Nov, on leave: past 50%
    sweep.sweep()
    assert list(
        Notification.objects.filter(kind=NoticeKind.REMINDER).values_list(
            "level", "recipient__username"
        )
    ) == [(50, "neighbour_worker")]


def test_reminders_go_to_the_assignee_when_they_are_at_work(clock, assigned, away):
    Leave.objects.update(starts_on=dt.date(2026, 11, 27), ends_on=dt.date(2026, 11, 28))
    clock.move_to(assigned.completion_due - dt.timedelta(days=1))  # before the leave
    sweep.sweep()
    assert list(
        Notification.objects.filter(kind=NoticeKind.REMINDER).values_list(
            "level", "recipient__username"
        )
    ) == [(50, "member_g1")]


def test_the_colleague_has_the_request_among_their_tasks_only_during_the_leave(
    clock, assigned, away, member_worker, neighbour_worker
):
    def tasks(user):
        # As a page reads them: the user (and the posts they cover that day) afresh.
        return list(selectors.my_tasks(type(user).objects.get(pk=user.pk)))

    assert tasks(neighbour_worker) == []
    clock.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=SH))
    assert tasks(neighbour_worker) == [assigned]
    assert tasks(member_worker) == [assigned]  # still theirs
    clock.move_to(dt.datetime(2026, 11, 27, 10, tzinfo=SH))
    assert tasks(neighbour_worker) == []  # nothing to hand back


def test_a_request_assigned_during_the_leave_is_announced_to_the_colleague(
    clock, territory, matter, dispatcher, member_worker, neighbour_worker, away
):
    clock.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=SH))
    submitted = services.submit(
        channel=Channel.QR,
        matter=matter,
        description="电动车停在楼道",
        reporter_phone="13812345678",
        grid=territory.grid,
    )
    services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=submitted),
        assignee=member_worker,
    )
    assert list(
        Notification.objects.filter(kind=NoticeKind.ASSIGNED, subject_id=submitted.pk).values_list(
            "recipient__username", flat=True
        )
    ) == ["neighbour_worker"]


def _submit(matter, territory, description="井盖松动"):
    return services.submit(
        channel=Channel.QR,
        matter=matter,
        description=description,
        reporter_phone="13812345678",
        grid=territory.grid,
    )


def _new_request_recipients(ticket):
    return sorted(
        Notification.objects.filter(kind=NoticeKind.NEW_REQUEST, subject_id=ticket.pk)
        .exclude(recipient=None)
        .values_list("recipient__username", flat=True)
    )


def test_a_new_request_in_a_leaders_grid_goes_to_their_colleague_during_the_leave_only(
    clock, territory, matter, community_officer, grid_leader, neighbour_worker
):
    grid_services.set_cover(
        by=community_officer,
        post=Post.objects.get(user=grid_leader),
        covered_by=neighbour_worker,
    )
    grid_services.record_leave(
        by=community_officer,
        user=grid_leader,
        starts_on=dt.date(2026, 11, 25),
        ends_on=dt.date(2026, 11, 26),
    )
    before = _submit(matter, territory, "路灯不亮")
    assert _new_request_recipients(before) == ["g1_leader"]
    clock.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=SH))
    during = _submit(matter, territory, "井盖松动")
    assert _new_request_recipients(during) == ["neighbour_worker"]  # A is not disturbed
    clock.move_to(dt.datetime(2026, 11, 27, 10, tzinfo=SH))
    after = _submit(matter, territory, "垃圾满溢")
    assert _new_request_recipients(after) == ["g1_leader"]


def test_the_colleague_is_not_told_of_what_they_did_themselves_for_the_assignee(
    clock, assigned, away, dispatcher, member_worker, neighbour_worker
):
    clock.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=SH))
    services.escalate(by=neighbour_worker, ticket=assigned, reason="需要物业配合")
    assert not Notification.objects.filter(
        recipient__in=[neighbour_worker, member_worker], kind=NoticeKind.TAKEN_AWAY
    ).exists()


def test_the_colleague_acts_for_the_assignee_during_the_leave_and_is_credited(
    clock, assigned, away, member_worker, neighbour_worker
):
    clock.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=SH))
    assert {"start", "resolve"} <= set(services.allowed_actions(neighbour_worker, assigned))
    started = services.start(by=neighbour_worker, ticket=assigned)
    done = services.resolve(
        by=neighbour_worker, ticket=started, result="纸箱已清理", photos=[jpeg()]
    )
    assert done.assignee == member_worker and done.resolved_by == neighbour_worker
    events = {e.action: e for e in done.events.all()}
    assert events["start"].actor == neighbour_worker
    assert events["start"].on_behalf_of == member_worker
    assert events["resolve"].on_behalf_of == member_worker


def test_the_colleague_can_no_longer_act_once_the_assignee_is_back(
    client, clock, assigned, away, member_worker, neighbour_worker
):
    clock.move_to(dt.datetime(2026, 11, 27, 10, tzinfo=SH))
    assert services.allowed_actions(neighbour_worker, assigned) == []
    with pytest.raises(PermissionDenied):
        services.start(by=neighbour_worker, ticket=assigned)
    client.force_login(neighbour_worker)
    assert client.get(reverse("ticket_detail", args=[assigned.short_code])).status_code == 404
    started = services.start(by=member_worker, ticket=assigned)  # A acts again
    assert started.events.get(action="start").on_behalf_of is None


def test_the_ticket_page_says_the_colleague_acted_for_the_assignee(
    client, clock, assigned, away, member_worker, neighbour_worker
):
    clock.move_to(dt.datetime(2026, 11, 25, 10, tzinfo=SH))
    client.force_login(neighbour_worker)
    page = client.get(reverse("ticket_detail", args=[assigned.short_code]))
    assert page.status_code == 200
    services.start(by=neighbour_worker, ticket=assigned)
    page = client.get(reverse("ticket_detail", args=[assigned.short_code])).content.decode()
    assert f"for {member_worker} (cover)" in page
