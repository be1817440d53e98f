"""The deadline sweep: reminders, overdue notices, the 吹哨 ladder, unclaimed wishes and
auto-closing, each exactly once; time is travelled, never slept."""

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from notifications.models import NoticeKind, Notification
from tickets import services, sweep
from tickets.models import (
    Channel,
    Event,
    Matter,
    Status,
    SweepRun,
    Ticket,
)

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
# Monday 23 Nov 2026, 09:00: a request made now is due for a response at 13:00 (4 hours).
START = dt.datetime(2026, 11, 23, 9, tzinfo=SH)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def submitted(clock, territory, matter):
    return services.submit(
        channel=Channel.QR,
        matter=matter,
        description="楼道堆满纸箱",
        reporter_phone="13812345678",
        grid=territory.grid,
    )


def kinds(**filters):
    return sorted(
        Notification.objects.filter(**filters).values_list("kind", "level", "recipient__username")
    )


def run_at(clock, moment):
    clock.move_to(moment)
    return sweep.sweep()


def test_a_new_request_is_scheduled_for_its_first_reminder(submitted):
    # 50% of the 4-hour response time.
    assert submitted.next_check_at == START + dt.timedelta(hours=2)


def test_nothing_due_writes_nothing(submitted, dispatcher):
    run = sweep.sweep()
    assert (run.claimed, run.notifications) == (0, 0)
    assert not Notification.objects.exists()


def test_response_reminders_go_to_the_dispatchers_once(clock, submitted, dispatcher):
    run_at(clock, START + dt.timedelta(hours=2, minutes=1))
    assert kinds() == [(NoticeKind.REMINDER, 50, "dispatcher_c1")]
    sweep.sweep()  # the same minute again, as a second beat would
    sweep.sweep_batch(now=START + dt.timedelta(hours=2, minutes=1))  # a retried task
    assert Notification.objects.count() == 1
    run_at(clock, START + dt.timedelta(hours=3, minutes=13))
    assert kinds() == [
        (NoticeKind.REMINDER, 50, "dispatcher_c1"),
        (NoticeKind.REMINDER, 80, "dispatcher_c1"),
    ]


def test_a_sweep_after_an_outage_sends_only_the_latest_reminder_and_never_the_skipped_one(
    clock, submitted, dispatcher
):
    # Beat was down from 09:00 to 12:30: the 50% and 80% points both passed; only 80% is said.
    run = run_at(clock, START + dt.timedelta(hours=3, minutes=30))
    assert run.notifications == 1
    assert kinds() == [(NoticeKind.REMINDER, 80, "dispatcher_c1")]
    sweep.sweep()
    sweep.sweep_batch(now=START + dt.timedelta(hours=2, minutes=1))  # a late retried task
    assert kinds() == [(NoticeKind.REMINDER, 80, "dispatcher_c1")]


def test_a_sweep_after_a_long_outage_sends_the_overdue_notice_alone(
    clock, submitted, dispatcher, member_worker
):
    ticket = services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=submitted),
        assignee=member_worker,
    )
    # Nothing ran between the assignment and one minute after the completion deadline.
    run_at(clock, ticket.completion_due + dt.timedelta(minutes=1))
    assert not Notification.objects.filter(kind=NoticeKind.REMINDER).exists()
    assert kinds(kind=NoticeKind.OVERDUE) == [
        (NoticeKind.OVERDUE, 0, "dispatcher_c1"),
        (NoticeKind.OVERDUE, 0, "member_g1"),
    ]
    run_at(clock, ticket.completion_due + dt.timedelta(hours=1))
    assert not Notification.objects.filter(kind=NoticeKind.REMINDER).exists()
    assert Notification.objects.filter(kind=NoticeKind.OVERDUE).count() == 2


def test_completion_reminders_and_overdue_go_to_the_assignee(
    clock, submitted, dispatcher, member_worker
):
    ticket = services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=submitted),
        assignee=member_worker,
    )
    due = ticket.completion_due  # Thursday 26 Nov 18:00 (3 working days)
    assert due == dt.datetime(2026, 11, 26, 18, tzinfo=SH)
    run_at(clock, due - dt.timedelta(days=1))  # past 50%
    run_at(clock, due - dt.timedelta(minutes=1))
    assert kinds(kind=NoticeKind.REMINDER) == [
        (NoticeKind.REMINDER, 50, "member_g1"),
        (NoticeKind.REMINDER, 80, "member_g1"),
    ]
    assert not Notification.objects.filter(kind=NoticeKind.OVERDUE).exists()
    run_at(clock, due + dt.timedelta(seconds=30))
    assert kinds(kind=NoticeKind.OVERDUE) == [
        (NoticeKind.OVERDUE, 0, "dispatcher_c1"),
        (NoticeKind.OVERDUE, 0, "member_g1"),
    ]


def test_an_unanswered_request_goes_up_to_the_community_with_a_fresh_deadline(
    clock, submitted, dispatcher
):
    run_at(clock, submitted.response_due + dt.timedelta(minutes=1))
    ticket = Ticket.objects.get(pk=submitted.pk)
    assert (ticket.area.code, ticket.status, ticket.escalation_level) == ("C1", Status.ACCEPTED, 1)
    assert ticket.acknowledged_at is None  # the community must 报到
    assert Event.objects.filter(ticket=ticket, action="escalate", actor=None).exists()
    escalated = Notification.objects.get(kind=NoticeKind.ESCALATED, level=1)
    assert (escalated.recipient.username, escalated.urgent) == ("dispatcher_c1", True)
    assert ticket.completion_due > submitted.response_due + dt.timedelta(days=1)


def test_the_ladder_climbs_grid_community_street_district(
    clock, submitted, dispatcher, member_worker, street_officer, district_officer
):
    Matter.objects.filter(pk=submitted.matter_id).update(escalate_after_hours=2)
    ticket = services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=submitted),
        assignee=member_worker,
    )
    due = ticket.completion_due
    # Overdue at the grid: the community is notified and the request moves up to it.
    run_at(clock, due + dt.timedelta(minutes=1))
    ticket = Ticket.objects.get(pk=submitted.pk)
    assert (ticket.area.code, ticket.escalation_level, ticket.assignee) == ("C1", 1, None)
    assert kinds(kind=NoticeKind.ESCALATED) == [(NoticeKind.ESCALATED, 1, "dispatcher_c1")]
    # Not yet the period later: it stays with the community.
    run_at(clock, due + dt.timedelta(hours=1))
    assert Ticket.objects.get(pk=submitted.pk).area.code == "C1"
    run_at(clock, due + dt.timedelta(hours=2, minutes=2))
    assert Ticket.objects.get(pk=submitted.pk).area.code == "S1"
    assert kinds(kind=NoticeKind.ESCALATED, level=2) == [
        (NoticeKind.ESCALATED, 2, "street_officer")
    ]
    run_at(clock, due + dt.timedelta(hours=4, minutes=3))
    ticket = Ticket.objects.get(pk=submitted.pk)
    assert (ticket.area.code, ticket.escalation_level) == ("D", 3)
    assert kinds(kind=NoticeKind.ESCALATED, level=3) == [
        (NoticeKind.ESCALATED, 3, "district_officer")
    ]
    # The top of the ladder: nothing more to climb, however long it waits.
    run_at(clock, due + dt.timedelta(days=3))
    assert Ticket.objects.get(pk=submitted.pk).escalation_level == 3
    # Each climb is one notification per person, however many sweeps ran.
    assert Notification.objects.filter(kind=NoticeKind.ESCALATED).count() == 3


def test_the_street_hands_an_overdue_request_to_the_owning_department(
    clock, territory, matter, street_officer
):
    from tickets.models import Department

    department = Department.objects.first()
    Matter.objects.filter(pk=matter.pk).update(department=department, escalate_after_hours=1)
    ticket = services.submit(
        channel=Channel.QR,
        matter=Matter.objects.get(pk=matter.pk),
        description="楼道堆满纸箱",
        reporter_phone="13812345678",
        grid=territory.grid,
    )
    due = services.accept(by=street_officer, ticket=ticket).completion_due
    run_at(clock, due + dt.timedelta(minutes=1))  # → community
    run_at(clock, due + dt.timedelta(hours=1, minutes=2))  # → street
    run_at(clock, due + dt.timedelta(hours=2, minutes=3))  # → department
    ticket.refresh_from_db()
    assert (ticket.department, ticket.status, ticket.escalation_level) == (
        department,
        Status.ASSIGNED,
        3,
    )


def test_a_request_escalated_with_a_fresh_deadline_does_not_climb_before_it(
    clock, submitted, dispatcher
):
    run_at(clock, submitted.response_due + dt.timedelta(minutes=1))
    ticket = services.acknowledge(by=dispatcher, ticket=Ticket.objects.get(pk=submitted.pk))
    # Within the fresh completion time the community has, it is not climbing further.
    run_at(clock, submitted.response_due + dt.timedelta(hours=23))
    assert Ticket.objects.get(pk=ticket.pk).escalation_level == 1
    assert Notification.objects.filter(kind=NoticeKind.ESCALATED).count() == 1


def test_a_suspended_request_has_no_reminders_and_resuming_starts_a_new_deadline_version(
    clock, submitted, dispatcher, member_worker
):
    ticket = services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=submitted),
        assignee=member_worker,
    )
    version = ticket.deadline_version
    ticket = services.suspend(by=dispatcher, ticket=ticket, reason="等待物业")
    assert ticket.next_check_at is None
    clock.move_to(START + dt.timedelta(days=2))
    assert sweep.sweep().claimed == 0
    ticket = services.resume(by=dispatcher, ticket=ticket)
    assert ticket.deadline_version == version + 1
    run_at(clock, ticket.completion_due + dt.timedelta(minutes=1))
    versions = set(
        Notification.objects.filter(kind=NoticeKind.OVERDUE).values_list(
            "deadline_version", flat=True
        )
    )
    assert versions == {version + 1}


def test_an_unrated_request_closes_as_satisfied_by_the_sweep(
    clock, submitted, dispatcher, member_worker
):
    from tests.factories import jpeg

    ticket = services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=submitted),
        assignee=member_worker,
    )
    ticket = services.resolve(by=member_worker, ticket=ticket, result="好了", photos=[jpeg()])
    run_at(clock, ticket.resolved_at + dt.timedelta(days=6))
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    run = run_at(clock, ticket.resolved_at + dt.timedelta(days=7, minutes=1))
    ticket.refresh_from_db()
    assert (run.closed, ticket.status, ticket.auto_closed) == (1, Status.CLOSED, True)
    assert ticket.next_check_at is None


def test_a_micro_wish_nobody_takes_up_is_raised_with_the_community(clock, territory, dispatcher):
    from core.models import CalendarDay
    from tickets.catalogue import fill_defaults
    from tickets.models import Category, Department

    fill_defaults(Department, Category, Matter, CalendarDay)
    wish = services.submit(
        channel=Channel.QR,
        matter=Matter.objects.get(code="micro_wish"),
        description="想要一副老花镜",
        reporter_phone="13812345678",
        grid=territory.grid,
    )
    wish = services.accept(by=None, ticket=wish)
    run_at(clock, wish.accepted_at + dt.timedelta(days=6))
    assert not Notification.objects.filter(kind=NoticeKind.WISH_UNCLAIMED).exists()
    run_at(clock, wish.accepted_at + dt.timedelta(days=7, minutes=1))
    assert kinds(kind=NoticeKind.WISH_UNCLAIMED) == [
        (NoticeKind.WISH_UNCLAIMED, 0, "dispatcher_c1")
    ]


def test_the_sweep_command_prints_what_it_did(clock, submitted, dispatcher):
    clock.move_to(START + dt.timedelta(hours=3, minutes=30))
    out = io.StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert out.getvalue().startswith("1 requests looked at, 1 notifications, 0 escalations")
    assert SweepRun.objects.count() == 1


def test_one_batch_costs_the_same_queries_for_one_or_fifty_due_requests(
    clock, territory, matter, dispatcher, django_assert_max_num_queries
):
    def make(n):
        return [
            services.submit(
                channel=Channel.QR,
                matter=matter,
                description=f"第{i}件",
                reporter_phone="13812345678",
                grid=territory.grid,
            )
            for i in range(n)
        ]

    make(1)
    clock.move_to(START + dt.timedelta(hours=3, minutes=30))
    with django_assert_max_num_queries(16) as one:
        sweep.sweep_batch()
    Ticket.objects.all().delete()
    make(50)
    clock.move_to(START + dt.timedelta(hours=7))
    with django_assert_max_num_queries(16) as fifty:
        sweep.sweep_batch()
    assert len(fifty.captured_queries) <= len(one.captured_queries) + 2
    assert Notification.objects.filter(kind=NoticeKind.REMINDER).count() == 50  # 80% each
