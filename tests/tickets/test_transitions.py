"""The state machine: every transition allowed and refused, by role and by state."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from notifications.models import NoticeKind, Notification
from tests.factories import jpeg
from tickets import services
from tickets.models import Department, Event, Status, Ticket

pytestmark = pytest.mark.django_db
A = Event.Action


def _accepted(ticket, dispatcher):
    return services.accept(by=dispatcher, ticket=ticket)


def _assigned(ticket, dispatcher, member_worker):
    return services.assign(
        by=dispatcher, ticket=_accepted(ticket, dispatcher), assignee=member_worker
    )


def test_the_happy_path_from_report_to_closed(ticket, dispatcher, member_worker):
    ticket = _assigned(ticket, dispatcher, member_worker)
    ticket = services.start(by=member_worker, ticket=ticket)
    ticket = services.resolve(by=member_worker, ticket=ticket, result="已清理", photos=[jpeg()])
    ticket = services.rate(ticket=ticket, rating=5, comment="很及时")
    assert ticket.status == Status.CLOSED and ticket.rating == 5
    actions = list(ticket.events.values_list("action", flat=True))
    assert actions == [A.SUBMIT, A.ACCEPT, A.ASSIGN, A.START, A.RESOLVE, A.RATE]
    assert ticket.photos.filter(kind="result").count() == 1


def test_a_member_claims_from_the_open_pool(ticket, dispatcher, member_worker):
    ticket = services.claim(by=member_worker, ticket=_accepted(ticket, dispatcher))
    assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, member_worker)


@pytest.mark.parametrize("persona_name", ["own_worker", "neighbour_worker", "other_street_officer"])
def test_only_dispatchers_accept(ticket, persona_name, request):
    user = request.getfixturevalue(persona_name)
    with pytest.raises(PermissionDenied):
        services.accept(by=user, ticket=ticket)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SUBMITTED


def test_only_the_assignee_starts_returns_and_resolves(
    ticket, dispatcher, member_worker, own_worker
):
    ticket = _assigned(ticket, dispatcher, member_worker)
    for action in (services.start,):
        with pytest.raises(PermissionDenied):
            action(by=own_worker, ticket=ticket)
    with pytest.raises(PermissionDenied):
        services.resolve(by=dispatcher, ticket=ticket, result="x", photos=[jpeg()])


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        (services.start, {}),
        (services.resolve, {"result": "x"}),
        (services.claim, {}),
        (services.resume, {}),
    ],
)
def test_actions_out_of_order_are_refused_with_a_message(
    ticket, member_worker, dispatcher, action, kwargs
):
    by = dispatcher if action is services.resume else member_worker
    with pytest.raises(ValidationError) as caught:
        action(by=by, ticket=ticket, **kwargs)
    assert "is not possible now" in str(caught.value)


def test_a_photo_is_required_where_the_catalogue_says_so(ticket, dispatcher, member_worker):
    ticket = _assigned(ticket, dispatcher, member_worker)
    with pytest.raises(ValidationError) as caught:
        services.resolve(by=member_worker, ticket=ticket, result="已清理")
    assert "photo" in str(caught.value)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ASSIGNED


def test_returning_sends_it_back_to_dispatch_with_an_internal_reason(
    ticket, dispatcher, member_worker
):
    ticket = _assigned(ticket, dispatcher, member_worker)
    with pytest.raises(ValidationError):
        services.return_to_dispatch(by=member_worker, ticket=ticket, reason=" ")
    ticket = services.return_to_dispatch(by=member_worker, ticket=ticket, reason="不在我片区")
    assert (ticket.status, ticket.assignee) == (Status.ACCEPTED, None)
    assert not ticket.events.get(action=A.RETURN).public


def test_rejecting_needs_a_reason_the_resident_sees(ticket, dispatcher):
    with pytest.raises(ValidationError):
        services.reject(by=dispatcher, ticket=ticket, reason="")
    ticket = services.reject(by=dispatcher, ticket=ticket, reason="属于物业维修范围，请联系物业")
    assert ticket.status == Status.REJECTED and ticket.public_reason


def test_suspension_pauses_the_clock(ticket, dispatcher):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = _accepted(ticket, dispatcher)
        due_before, version_before = ticket.completion_due, ticket.deadline_version
        ticket = services.suspend(by=dispatcher, ticket=ticket, reason="等待配件")
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        ticket = services.resume(by=dispatcher, ticket=ticket)
    assert ticket.status == Status.ACCEPTED
    assert ticket.completion_due == due_before + dt.timedelta(days=2)
    assert ticket.deadline_version == version_before + 1


def test_escalation_goes_up_a_level_and_must_be_acknowledged(
    ticket, dispatcher, street_officer, own_worker
):
    ticket = _accepted(ticket, dispatcher)
    # Grid G1 → its community C1: the community officer must report in (报到).
    ticket = services.escalate(by=dispatcher, ticket=ticket, reason="涉及多户，需社区协调")
    assert ticket.area.code == "C1" and ticket.escalation_level == 1
    with pytest.raises(PermissionDenied):
        services.acknowledge(by=own_worker, ticket=ticket)
    ticket = services.acknowledge(by=dispatcher, ticket=ticket)
    assert ticket.acknowledged_at is not None
    ticket = services.escalate(by=dispatcher, ticket=ticket, reason="社区无法解决")
    assert ticket.area.code == "S1" and ticket.acknowledged_at is None
    ticket = services.acknowledge(by=street_officer, ticket=ticket)
    with pytest.raises(ValidationError):
        services.escalate(by=street_officer, ticket=ticket, reason="再上报")  # no level above


def test_escalation_to_a_department_which_acknowledges(ticket, dispatcher, own_worker):
    from tests.factories import UserFactory

    department = Department.objects.get(code="chengguan")
    officer = UserFactory(username="chengguan_officer")
    department.members.add(officer)
    ticket = services.escalate(
        by=dispatcher,
        ticket=_accepted(ticket, dispatcher),
        reason="需执法",
        to_department=department,
    )
    assert ticket.department == department
    assert Ticket.objects.visible_to(officer).filter(pk=ticket.pk).exists()
    ticket = services.acknowledge(by=officer, ticket=ticket)
    ticket = services.start(by=officer, ticket=ticket)
    assert ticket.status == Status.IN_PROGRESS


def test_a_low_rating_reopens_once_then_goes_to_the_community_head(
    ticket, dispatcher, member_worker
):
    def resolve_again(t):
        t = services.assign(by=dispatcher, ticket=t, assignee=member_worker)
        return services.resolve(by=member_worker, ticket=t, result="再次处理", photos=[jpeg()])

    ticket = resolve_again(_accepted(ticket, dispatcher))
    ticket = services.rate(ticket=ticket, rating=2, comment="没清干净")
    assert (ticket.status, ticket.reopen_count, ticket.area.code) == (Status.ACCEPTED, 1, "G1")
    ticket = resolve_again(ticket)
    ticket = services.rate(ticket=ticket, rating=1, comment="还是不行")
    assert (ticket.status, ticket.reopen_count, ticket.area.code) == (Status.ACCEPTED, 2, "C1")
    assert ticket.escalation_level == 1


def test_a_rating_outside_one_to_five_or_twice_is_refused(ticket, dispatcher, member_worker):
    t = services.assign(by=dispatcher, ticket=_accepted(ticket, dispatcher), assignee=member_worker)
    t = services.resolve(by=member_worker, ticket=t, result="好了", photos=[jpeg()])
    with pytest.raises(ValidationError):
        services.rate(ticket=t, rating=6)
    services.rate(ticket=t, rating=4)
    with pytest.raises(ValidationError):
        services.rate(ticket=t, rating=5)


def test_unrated_requests_close_as_satisfied_after_seven_days(ticket, dispatcher, member_worker):
    t = services.assign(by=dispatcher, ticket=_accepted(ticket, dispatcher), assignee=member_worker)
    t = services.resolve(by=member_worker, ticket=t, result="好了", photos=[jpeg()])
    assert not services.auto_close(ticket_id=t.pk, now=timezone.now() + dt.timedelta(days=6))
    assert services.auto_close(ticket_id=t.pk, now=timezone.now() + dt.timedelta(days=8))
    t.refresh_from_db()
    assert (t.status, t.auto_closed) == (Status.CLOSED, True)
    assert not services.auto_close(ticket_id=t.pk)  # running twice changes nothing


def test_merging_closes_the_duplicate_with_a_link_both_residents_see(
    territory, ticket, matter, dispatcher
):
    from tickets.models import Channel

    twin = services.submit(
        channel=Channel.QR,
        matter=matter,
        description="同一处杂物",
        reporter_phone="13900000000",
        grid=territory.grid,
    )
    twin = services.merge(by=dispatcher, ticket=twin, into=ticket)
    assert twin.status == Status.MERGED and twin.merged_into == ticket
    assert ticket.short_code in twin.public_reason
    assert ticket.events.filter(action=A.NOTE, note__contains=twin.short_code).exists()
    with pytest.raises(ValidationError):
        services.merge(by=dispatcher, ticket=ticket, into=ticket)


def test_a_stale_version_changes_nothing(ticket, dispatcher):
    services.accept(by=dispatcher, ticket=ticket, expected_version=ticket.version)
    with pytest.raises(services.StaleTicket):
        services.reject(by=dispatcher, ticket=ticket, reason="重复", expected_version=1)


def test_assigning_someone_from_another_area_is_refused(ticket, dispatcher, neighbour_worker):
    with pytest.raises(ValidationError) as caught:
        services.assign(
            by=dispatcher, ticket=_accepted(ticket, dispatcher), assignee=neighbour_worker
        )
    assert "assignee" in caught.value.message_dict


def test_allowed_actions_match_role_and_state(ticket, dispatcher, member_worker, own_worker):
    assert set(services.allowed_actions(dispatcher, ticket)) == {
        A.ACCEPT,
        A.REJECT,
        A.MERGE,
        A.ESCALATE,
    }
    assert services.allowed_actions(member_worker, ticket) == []
    ticket = _accepted(ticket, dispatcher)
    assert A.CLAIM in services.allowed_actions(member_worker, ticket)
    assert A.CLAIM in services.allowed_actions(own_worker, ticket)
    ticket = services.claim(by=member_worker, ticket=ticket)
    assert set(services.allowed_actions(member_worker, ticket)) == {
        A.START,
        A.RETURN,
        A.RESOLVE,
        A.ESCALATE,
    }


def test_the_sweep_closes_only_what_is_due(ticket, dispatcher, member_worker):
    import io

    from django.core.management import call_command

    t = services.assign(by=dispatcher, ticket=_accepted(ticket, dispatcher), assignee=member_worker)
    services.resolve(by=member_worker, ticket=t, result="好了", photos=[jpeg()])
    out = io.StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert "0 closed unrated" in out.getvalue()
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        call_command("sweep_deadlines", stdout=out)
    assert "1 closed unrated" in out.getvalue()
    assert Ticket.objects.get(pk=t.pk).status == Status.CLOSED


def test_a_request_played_at_past_moments_keeps_them_on_the_ticket_and_its_timeline(
    territory, matter, dispatcher, member_worker
):
    """History (the demo's year of requests) is written through the same transitions, each
    ``at`` its moment; the deadlines run from those moments, not from today."""
    t0 = timezone.now() - dt.timedelta(days=30)
    ticket = services.submit(
        channel="qr",
        matter=matter,
        description="楼道堆满纸箱",
        reporter_phone="13812345678",
        grid=territory.grid,
        at=t0,
    )
    ticket = services.accept(by=dispatcher, ticket=ticket, at=t0 + dt.timedelta(hours=1))
    ticket = services.assign(
        by=dispatcher, ticket=ticket, assignee=member_worker, at=t0 + dt.timedelta(hours=2)
    )
    ticket = services.start(by=member_worker, ticket=ticket, at=t0 + dt.timedelta(hours=3))
    ticket = services.resolve(
        by=member_worker,
        ticket=ticket,
        result="已清理",
        photos=[jpeg()],
        at=t0 + dt.timedelta(hours=5),
    )
    ticket = services.rate(ticket=ticket, rating=5, at=t0 + dt.timedelta(days=1))
    assert ticket.submitted_at == t0 and ticket.accepted_at == t0 + dt.timedelta(hours=1)
    assert ticket.completion_due > ticket.accepted_at
    assert ticket.completion_due < timezone.now() - dt.timedelta(days=20)
    assert ticket.resolved_at == t0 + dt.timedelta(hours=5)
    assert ticket.closed_at == t0 + dt.timedelta(days=1) and ticket.version == 6
    moments = list(ticket.events.order_by("pk").values_list("at", flat=True))
    assert moments == [t0 + dt.timedelta(hours=h) for h in (0, 1, 2, 3, 5, 24)]
    notice = Notification.objects.get(recipient=member_worker, kind=NoticeKind.ASSIGNED)
    assert notice.created_at == t0 + dt.timedelta(hours=2)


def test_a_past_moment_before_the_timeline_s_last_event_or_in_the_future_is_refused(
    ticket, dispatcher
):
    with pytest.raises(ValueError, match="before the ticket's last event"):
        services.accept(by=dispatcher, ticket=ticket, at=ticket.submitted_at - dt.timedelta(1))
    with pytest.raises(ValueError, match="future"):
        services.accept(by=dispatcher, ticket=ticket, at=timezone.now() + dt.timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED and ticket.version == 1
