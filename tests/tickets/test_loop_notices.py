"""The loop tells people what happened: new and returned requests reach the dispatchers of
their area, a low rating reaches the last handler and the dispatcher with the resident's
words, and a worker whose task is taken away hears of it (issue 22)."""

import pytest

from grids.roles import Role
from notifications.models import NoticeKind, Notification
from notifications.texts import describe
from tests.factories import PostFactory, UserFactory, jpeg
from tickets import services
from tickets.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_leader(territory):
    user = UserFactory(username="leader_g1")
    PostFactory(user=user, area=territory.grid, role=Role.GRID_LEADER)
    return user


@pytest.fixture
def neighbour_leader(territory):
    user = UserFactory(username="leader_g2")
    PostFactory(user=user, area=territory.neighbour_grid, role=Role.GRID_LEADER)
    return user


def _told(kind, user=None):
    rows = Notification.objects.filter(kind=kind)
    return rows.filter(recipient=user) if user is not None else rows.exclude(recipient=None)


def _report(territory, matter, by=None, grid=None):
    return services.submit(
        channel=Channel.FIELD if by else Channel.QR,
        matter=matter,
        description="楼道堆满纸箱",
        reporter_phone="" if by else "13812345678",
        reporter_name="张阿姨",
        grid=grid or territory.grid,
        by=by,
    )


def _assigned(ticket, dispatcher, worker):
    ticket = services.accept(by=dispatcher, ticket=ticket)
    return services.assign(by=dispatcher, ticket=ticket, assignee=worker)


def test_a_new_request_rings_the_grid_leaders_bell(territory, matter, grid_leader):
    ticket = _report(territory, matter)
    notice = _told(NoticeKind.NEW_REQUEST, grid_leader).get()
    assert notice.params["code"] == ticket.short_code
    assert ticket.short_code in describe(notice).title
    assert _told(NoticeKind.NEW_REQUEST).count() == 1  # one per person


def test_a_new_request_without_a_grid_leader_reaches_the_community(territory, matter, dispatcher):
    _report(territory, matter)
    assert _told(NoticeKind.NEW_REQUEST, dispatcher).count() == 1


def test_another_areas_dispatcher_is_not_notified(territory, matter, grid_leader, neighbour_leader):
    _report(territory, matter)
    assert not _told(NoticeKind.NEW_REQUEST, neighbour_leader).exists()
    _report(territory, matter, grid=territory.neighbour_grid)
    assert _told(NoticeKind.NEW_REQUEST, grid_leader).count() == 1
    assert _told(NoticeKind.NEW_REQUEST, neighbour_leader).count() == 1


def test_the_actor_is_not_notified(territory, matter, grid_leader):
    _report(territory, matter, by=grid_leader)
    assert not _told(NoticeKind.NEW_REQUEST).exists()


def test_a_returned_request_tells_the_dispatchers(ticket, dispatcher, member_worker):
    ticket = _assigned(ticket, dispatcher, member_worker)
    services.return_to_dispatch(by=member_worker, ticket=ticket, reason="不归我管")
    assert _told(NoticeKind.RETURNED, dispatcher).count() == 1
    assert not _told(NoticeKind.RETURNED, member_worker).exists()


def test_a_low_rating_tells_the_last_handler_and_the_dispatcher_the_residents_comment(
    ticket, dispatcher, member_worker
):
    ticket = _assigned(ticket, dispatcher, member_worker)
    ticket = services.resolve(by=member_worker, ticket=ticket, result="已清理", photos=[jpeg()])
    ticket = services.rate(ticket=ticket, rating=2, comment="纸箱还在")
    assert ticket.assignee is None
    for person in (member_worker, dispatcher):
        notice = _told(NoticeKind.REOPENED, person).get()
        assert "纸箱还在" in describe(notice).body
        # The resident's comment is shown; who they are is not.
        assert "13812345678" not in str(notice.params) and "张阿姨" not in str(notice.params)
    assert _told(NoticeKind.REOPENED).count() == 2


def test_a_worker_whose_task_is_reassigned_is_told(ticket, dispatcher, member_worker, own_worker):
    ticket = _assigned(ticket, dispatcher, member_worker)
    services.assign(by=dispatcher, ticket=ticket, assignee=own_worker)
    assert _told(NoticeKind.TAKEN_AWAY, member_worker).count() == 1
    assert not _told(NoticeKind.TAKEN_AWAY, own_worker).exists()
    assert not _told(NoticeKind.TAKEN_AWAY, dispatcher).exists()


def test_a_worker_whose_task_is_escalated_away_is_told(ticket, dispatcher, member_worker):
    ticket = _assigned(ticket, dispatcher, member_worker)
    ticket = services.escalate(by=dispatcher, ticket=ticket, reason="需要社区协调")
    assert ticket.assignee is None
    notice = _told(NoticeKind.TAKEN_AWAY, member_worker).get()
    assert ticket.short_code in describe(notice).title
