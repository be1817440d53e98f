"""Ticket fixtures in the shared territory: a resident's request in grid G1."""

import pytest

from grids.roles import Role
from tests.factories import PostFactory, UserFactory, jpeg
from tickets import services
from tickets.models import Channel, Matter


@pytest.fixture
def matter(db):
    from tickets.catalogue import fill_defaults
    from tickets.models import CalendarDay, Category, Department

    # A transactional test before this one may have flushed the migration's rows.
    fill_defaults(Department, Category, Matter, CalendarDay)
    return Matter.objects.get(code="stairwell_clutter")  # grid-owned, photo required, 3 wd


@pytest.fixture
def ticket(territory, matter):
    return services.submit(
        channel=Channel.QR,
        matter=matter,
        description="楼道堆满纸箱，消防隐患",
        reporter_phone="13812345678",
        reporter_name="张阿姨",
        grid=territory.grid,
        address="幸福花园3幢2单元",
    )


@pytest.fixture
def ticket_with_photo(territory, matter):
    return services.submit(
        channel=Channel.QR,
        matter=matter,
        description="路灯不亮",
        reporter_phone="13812345679",
        grid=territory.grid,
        photos=[jpeg()],
    )


@pytest.fixture
def photo(ticket_with_photo):
    return ticket_with_photo.photos.get()


@pytest.fixture
def dispatcher(territory):
    user = UserFactory(username="dispatcher_c1")
    PostFactory(user=user, area=territory.community, role=Role.COMMUNITY_STAFF)
    return user


@pytest.fixture
def member_worker(territory):
    """A part-time grid worker (a party member) of G1: takes requests."""
    user = UserFactory(username="member_g1", display_name="刘党员")
    PostFactory(user=user, area=territory.grid, role=Role.PART_TIME_WORKER)
    return user


@pytest.fixture
def own_notification(ticket, own_worker):
    """The own-grid worker's unread reminder about the G1 request (the bell's matrix target)."""
    from tickets.models import NoticeKind, Notification

    return Notification.objects.create(
        key=f"test:reminder:{ticket.pk}:{own_worker.pk}",
        recipient=own_worker,
        ticket=ticket,
        kind=NoticeKind.REMINDER,
        level=50,
        params={
            "code": ticket.short_code,
            "stage": "response",
            "due": ticket.response_due.isoformat(),
        },
    )


@pytest.fixture
def failed_delivery(own_notification):
    """An email to the own-grid worker that ran out of attempts."""
    from tickets.models import Delivery, NoticeChannel

    return Delivery.objects.create(
        notification=own_notification,
        channel=NoticeChannel.EMAIL,
        state=Delivery.State.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        idempotency_key=f"{own_notification.key}:email",
    )
