"""Ticket fixtures in the shared territory: a resident's request in grid G1."""

import pytest

from grids.roles import Role
from tests.factories import PostFactory, UserFactory, jpeg
from tickets import services
from tickets.models import Channel, Matter


@pytest.fixture
def matter(db):
    from core.models import CalendarDay
    from tickets.catalogue import fill_defaults
    from tickets.models import Category, Department

    # A transactional test before this one may have flushed the migration's rows.
    fill_defaults(Department, Category, Matter, CalendarDay)
    return Matter.objects.get(code="stairwell_clutter")  # grid-owned, photo required, 3 wd


def reported(territory, matter, grid=None, n=1, *, description="", address="") -> list:
    """``n`` requests from the QR form, in the territory's grid unless another is named."""
    return [
        services.submit(
            channel=Channel.QR,
            matter=matter,
            description=description or f"问题{i}",
            address=address,
            reporter_phone="13812345678",
            grid=grid or territory.grid,
        )
        for i in range(n)
    ]


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
def joint_action(ticket):
    """A joint action of community C1 on the G1 request, two departments present, one photo
    (tickets.joint's pages; made directly, not through the service)."""
    import datetime as dt

    from grids.models import Area
    from tickets.models import Department, JointAction, JointActionPhoto

    action = JointAction.objects.create(
        area=Area.objects.get_parent(ticket.area),
        date=dt.date(2027, 3, 2),
        place="幸福花园3幢",
        outcome="清理楼道杂物",
    )
    action.departments.set(Department.objects.order_by("code")[:2])
    action.tickets.add(ticket)
    JointActionPhoto.objects.create(action=action, image=jpeg())
    return action
