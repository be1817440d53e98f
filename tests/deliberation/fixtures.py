"""Deliberation fixtures: a topic of C1 raised from G1 at each step of its way."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import jpeg


@pytest.fixture
def topic(territory):
    """A topic a resident raised on the public page of C1 (from G1), awaiting acceptance."""
    from deliberation import services

    return services.raise_topic(
        community=territory.community,
        grid=territory.grid,
        title="3号楼加装电梯",
        description="老人上下楼困难，希望加装电梯。",
        name="张秀英",
        phone="13912345678",
    )


@pytest.fixture
def met_topic(topic):
    """Accepted, and a meeting voted on two options (20 in the room)."""
    from deliberation import services

    services.accept_topic(topic=topic, by=None)
    services.record_meeting(
        topic=topic,
        by=None,
        held_on=timezone.localdate(),
        place="红色议事厅",
        residents=14,
        party_members=4,
        property_company=1,
        co_building_units=1,
        options=[
            {"text": "加装电梯", "votes_for": 16, "votes_against": 3, "abstain": 1},
            {"text": "暂缓", "votes_for": 3, "votes_against": 16, "abstain": 1},
        ],
    )
    return topic


@pytest.fixture
def decided_topic(met_topic):
    """Decided a fortnight ago: its seven-day notice period is over."""
    from deliberation import services

    services.decide(
        topic=met_topic,
        by=None,
        option=met_topic.options.order_by("pk").first(),
        text="经表决通过加装电梯。",
        at=timezone.now() - dt.timedelta(days=14),
    )
    met_topic.refresh_from_db()
    return met_topic


@pytest.fixture
def completed_project(decided_topic):
    from deliberation import services

    project = services.start_project(
        topic=decided_topic,
        by=None,
        title="3号楼加装电梯工程",
        budget=Decimal("280000"),
        funding="maintenance",
        started_on=timezone.localdate() - dt.timedelta(days=5),
    )
    return services.complete_project(project=project, by=None, photos=[jpeg("done.jpg")])


@pytest.fixture
def project_photo(completed_project):
    """The completed project's photo, public on its page."""
    return completed_project.photos.get()
