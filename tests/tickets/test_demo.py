"""The demo's requests: on the deadline sweep's timeline from the start, and every one of
them a life the state machine (tickets/services.py) could have lived."""

from collections import Counter, defaultdict

import pytest
from django.utils import timezone

from notifications.models import NoticeKind, Notification
from points.models import Declaration
from tickets import sweep
from tickets.deadlines import due
from tickets.models import ACTIVE_STATUSES, FINAL_STATUSES, OPEN_STATUSES, Event, Status, Ticket
from tickets.services import RULES
from tickets.timeline import next_check

pytestmark = pytest.mark.django_db
A = Event.Action
S = Status

# The moves that are not a person's choice on the ticket page, so not in RULES: the report
# itself, the resident's review (3–5 stars close it, 1–2 reopen it), the sweep's auto-close,
# and the note a master gets when a duplicate is merged into it (no move).
OUTSIDE_RULES = {
    A.SUBMIT: {"": {S.SUBMITTED}},
    A.RATE: {S.RESOLVED: {S.CLOSED}},
    A.REOPEN: {S.RESOLVED: {S.ACCEPTED}},
    A.CLOSE: {S.RESOLVED: {S.CLOSED}},
}
# Where each of RULES' moves leads (resume: back where it was; acknowledge: nowhere).
LEADS_TO = {
    A.ACCEPT: {S.ACCEPTED},
    A.REJECT: {S.REJECTED},
    A.MERGE: {S.MERGED},
    A.ASSIGN: {S.ASSIGNED},
    A.CLAIM: {S.ASSIGNED},
    A.START: {S.IN_PROGRESS},
    A.RETURN: {S.ACCEPTED},
    A.RESOLVE: {S.RESOLVED},
    A.SUSPEND: {S.SUSPENDED},
    A.RESUME: set(ACTIVE_STATUSES),
    A.ESCALATE: {S.ACCEPTED, S.ASSIGNED},
}
NOT_A_MOVE = {A.SUBMIT, A.NOTE}  # the ticket's version counts the others


def _timelines() -> dict[int, list[Event]]:
    """Each demo ticket's events as its page shows them: by time, then as written."""
    found = defaultdict(list)
    for event in Event.objects.order_by("ticket_id", "at", "pk"):
        found[event.ticket_id].append(event)
    return found


def test_the_first_sweep_of_the_demo_fills_the_community_officers_bell(demo):
    waiting = Ticket.objects.filter(status__in=OPEN_STATUSES).exclude(status=Status.SUSPENDED)
    assert not waiting.filter(next_check_at__isnull=True).exists()
    run = sweep.sweep()
    assert run.claimed and run.notifications and run.escalations
    community = Notification.objects.filter(recipient__username="community")
    assert community.filter(kind=NoticeKind.ESCALATED).exists()
    assert sweep.sweep().notifications == 0  # caught up: the next minute has nothing new


def test_every_demo_event_starts_from_the_state_the_previous_one_left(demo):
    timelines = _timelines()
    tickets = dict(Ticket.objects.values_list("pk", "status"))
    assert tickets and set(timelines) == set(tickets)
    breaks, left_elsewhere = [], []
    for ticket_id, events in timelines.items():
        assert events[0].action == A.SUBMIT, ticket_id
        left = ""
        for event in events:
            if event.from_status != left:
                breaks.append((ticket_id, event.action, event.from_status, left))
            left = event.to_status
        if left != tickets[ticket_id]:  # the last event left it as it is now
            left_elsewhere.append((ticket_id, left, tickets[ticket_id]))
    assert breaks == []
    assert left_elsewhere == []


def test_demo_events_are_written_in_time_order_and_all_in_the_past(demo):
    now = timezone.now()
    submitted = dict(Ticket.objects.values_list("pk", "submitted_at"))
    written = defaultdict(list)
    for ticket_id, at in Event.objects.order_by("pk").values_list("ticket_id", "at"):
        written[ticket_id].append(at)
    for ticket_id, moments in written.items():
        assert moments == sorted(moments), ticket_id
        assert moments[0] == submitted[ticket_id]
        assert moments[-1] <= now


def test_every_demo_transition_is_one_the_state_machine_allows(demo):
    seen = Counter()
    for action, before, after in Event.objects.values_list("action", "from_status", "to_status"):
        seen[action] += 1
        if action == A.NOTE or action == A.ACKNOWLEDGE:
            assert before == after and before in OPEN_STATUSES, (action, before)
        elif action in RULES:
            assert before in RULES[action].from_statuses, (action, before)
            assert after in LEADS_TO[action], (action, before, after)
        else:
            assert after in OUTSIDE_RULES[action][before], (action, before, after)
    # The demo shows the whole machine, not only the happy path.
    for action in (A.CLAIM, A.RETURN, A.SUSPEND, A.RESUME, A.ESCALATE, A.ACKNOWLEDGE):
        assert seen[action], action
    for action in (A.REOPEN, A.CLOSE, A.MERGE, A.REJECT):
        assert seen[action], action


def test_demo_versions_count_the_transitions_applied(demo):
    moves = Counter(
        Event.objects.exclude(action__in=NOT_A_MOVE).values_list("ticket_id", flat=True)
    )
    tickets = list(Ticket.objects.values_list("pk", "status", "version"))
    for pk, status, version in tickets:
        assert version == 1 + moves[pk], (pk, status)
        if status != S.SUBMITTED:
            assert version > 1, pk
    assert Counter(v for _pk, _s, v in tickets).most_common(1)[0][0] > 1


def test_demo_deadlines_and_next_check_follow_from_each_request_s_state(demo):
    now = timezone.now()
    tickets = Ticket.objects.select_related("matter", "area")
    for t in tickets:
        assert t.response_due == due(
            t.submitted_at, t.matter.response_limit, t.matter.response_unit
        )
        assert t.next_check_at == next_check(t, t.checked_until), t.short_code
        if t.status == S.SUBMITTED:
            assert t.accepted_at is None and t.completion_due is None
        if t.status in ACTIVE_STATUSES or t.status in (S.SUSPENDED, S.RESOLVED, S.CLOSED):
            assert t.submitted_at <= t.accepted_at < t.completion_due, t.short_code
        if t.status == S.SUSPENDED:
            assert t.suspended_at and t.status_before_suspension in ACTIVE_STATUSES
        if t.status in (S.RESOLVED, S.CLOSED):
            assert t.accepted_at < t.resolved_at <= now
        if t.status in FINAL_STATUSES:
            assert t.next_check_at is None and t.closed_at <= now
        if t.status == S.CLOSED:
            assert t.resolved_at <= t.closed_at and (t.rating or t.auto_closed)
            assert (t.rating or 5) >= 3  # 1–2 stars reopen it


def test_demo_figures_have_late_and_overdue_requests_among_mostly_timely_ones(demo):
    responded = Ticket.objects.exclude(accepted_at=None)
    late = [t for t in responded if t.accepted_at > t.response_due]
    assert 0.02 < len(late) / len(responded) < 0.25
    resolved = Ticket.objects.exclude(resolved_at=None)
    overdue = [t for t in resolved if t.resolved_at > t.completion_due]
    assert 0.03 < len(overdue) / len(resolved) < 0.3
    now = timezone.now()
    assert any(t.overdue(now) for t in Ticket.objects.filter(status__in=OPEN_STATUSES))


def test_every_demo_request_closed_with_four_or_five_stars_proposed_its_points(demo):
    earning = Ticket.objects.filter(
        status=S.CLOSED, rating__gte=4, matter__earns_points=True, assignee__isnull=False
    )
    keys = {f"ticket:{pk}" for pk in earning.values_list("pk", flat=True)}
    assert keys
    proposals = Declaration.objects.filter(source_key__startswith="ticket:")
    assert set(proposals.values_list("source_key", flat=True)) == keys
    assert proposals.filter(state=Declaration.State.APPROVED).exists()
    assert proposals.filter(state=Declaration.State.COLLECTED).exists()


def test_the_demo_s_co_handled_request_has_a_joint_action_the_league_counts(demo):
    from dashboards import departments as league
    from tickets.demo import COHANDLED
    from tickets.models import JointAction

    action = JointAction.objects.get()
    ticket = Ticket.objects.get(description=COHANDLED)
    assert list(action.tickets.all()) == [ticket]
    assert {d.code for d in action.departments.all()} == {"police", "housing"}
    assert action.recorded_by.username == "street"
    assert ticket.events.filter(action=A.NOTE, at=action.created_at, public=True).exists()
    rows = league.league(action.area, league.month(None, action.date))
    attended = {row.department.code: row.joint_actions for row in rows}
    assert attended["police"] == attended["housing"] == 1
