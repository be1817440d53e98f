"""The way of a topic: raised, accepted, voted on, decided and published, objected to during
its notice, followed by a 实事 project that residents rate once it is completed."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deliberation import services
from deliberation.models import Topic
from tests.factories import jpeg

S = Topic.Status


def test_a_resident_raises_a_topic_and_the_community_accepts_it(topic, community_officer):
    assert topic.status == S.RAISED and topic.channel == Topic.Channel.PUBLIC
    assert topic.masked_phone() == "139****5678"
    services.accept_topic(topic=topic, by=community_officer)
    assert topic.status == S.ACCEPTED and topic.accepted_at is not None
    with pytest.raises(ValidationError):
        services.accept_topic(topic=topic, by=community_officer)


def test_a_decline_needs_a_reason(topic, community_officer):
    with pytest.raises(ValidationError):
        services.decline_topic(topic=topic, by=community_officer, reason=" ")
    services.decline_topic(topic=topic, by=community_officer, reason="个别住户私事")
    assert topic.status == S.DECLINED


def test_workers_neither_accept_nor_decide(topic, own_worker, other_street_officer):
    for user in (own_worker, other_street_officer):
        with pytest.raises(PermissionDenied):
            services.accept_topic(topic=topic, by=user)


def test_a_worker_raises_a_topic_only_from_their_grid(territory, own_worker):
    topic = services.raise_topic(
        community=territory.community,
        grid=territory.grid,
        title="楼道堆物",
        description="楼道堆物严重",
        by=own_worker,
    )
    assert topic.channel == Topic.Channel.WORKER and topic.raised_by == own_worker
    with pytest.raises(PermissionDenied):
        services.raise_topic(
            community=territory.community,
            grid=territory.neighbour_grid,
            title="x",
            description="y",
            by=own_worker,
        )
    with pytest.raises(ValidationError):  # G3 is in C2
        services.raise_topic(
            community=territory.community, grid=territory.far_grid, title="x", description="y"
        )


def _meeting(topic, by, **options):
    return services.record_meeting(
        topic=topic,
        by=by,
        held_on=timezone.localdate(),
        place="议事室",
        residents=8,
        party_members=2,
        options=[{"text": "方案一", **options}],
    )


def test_votes_are_not_negative_nor_above_the_participants(topic, community_officer):
    services.accept_topic(topic=topic, by=community_officer)
    with pytest.raises(ValidationError):
        _meeting(topic, community_officer, votes_for=9, votes_against=2)  # 11 votes, 10 there
    with pytest.raises(ValidationError):
        _meeting(topic, community_officer, votes_for=-1)
    assert not topic.meetings.exists()
    _meeting(topic, community_officer, votes_for=8, votes_against=1, abstain=1)
    assert topic.status == S.SCHEDULED and topic.meetings.get().participants == 10


def test_a_meeting_is_recorded_once_held(topic, community_officer):
    services.accept_topic(topic=topic, by=community_officer)
    with pytest.raises(ValidationError):
        services.record_meeting(
            topic=topic,
            by=community_officer,
            held_on=timezone.localdate() + dt.timedelta(days=1),
            place="议事室",
            residents=5,
            options=[{"text": "a"}],
        )


def test_a_decision_opens_the_objection_period(met_topic, community_officer):
    option = met_topic.options.order_by("pk").first()
    decision = services.decide(topic=met_topic, by=community_officer, option=option, text="通过")
    assert met_topic.status == S.DECIDED
    assert decision.objections_until == timezone.localdate() + dt.timedelta(days=7)
    services.object_to(decision=decision, phone="13700000000", text="施工时间避开午休")
    # The follow-up waits for the end of the period.
    with pytest.raises(ValidationError):
        services.start_project(
            topic=met_topic, by=community_officer, title="t", budget=Decimal(1), funding="street"
        )
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        with pytest.raises(ValidationError):
            services.object_to(decision=decision, phone="13700000001", text="晚了")
        project = services.start_project(
            topic=met_topic,
            by=community_officer,
            title="加装电梯工程",
            budget=Decimal("280000"),
            funding="maintenance",
        )
    assert decision.objections.count() == 1
    assert project.topic.status == S.FOLLOW_UP


def test_only_the_topics_own_option_is_chosen(met_topic, decided_topic, community_officer):
    assert decided_topic.decision.option.topic_id == decided_topic.pk


def test_progress_goes_forward_then_the_project_completes(decided_topic, community_officer):
    project = services.start_project(
        topic=decided_topic,
        by=community_officer,
        title="工程",
        budget=Decimal("5000"),
        funding="community",
        started_on=timezone.localdate() - dt.timedelta(days=3),
    )
    services.update_progress(
        project=project, by=community_officer, on=timezone.localdate(), percent=40, note="进场"
    )
    with pytest.raises(ValidationError):
        services.update_progress(
            project=project, by=community_officer, on=timezone.localdate(), percent=20, note="x"
        )
    with pytest.raises(ValidationError):
        services.rate_project(project=project, phone="13800000000", stars=5)
    services.complete_project(project=project, by=community_officer, photos=[jpeg()])
    assert project.progress == 100 and project.topic.status == S.DONE


def test_one_rating_per_phone_and_project(completed_project):
    services.rate_project(project=completed_project, phone="13800000000", stars=5, comment="好")
    with pytest.raises(ValidationError):
        services.rate_project(project=completed_project, phone="13800000000", stars=1)
    with pytest.raises(ValidationError):
        services.rate_project(project=completed_project, phone="13800000001", stars=6)
    rating = completed_project.ratings.get()
    assert "13800000000" not in rating.phone_digest


def test_a_decision_without_project_closes_the_topic(decided_topic, community_officer):
    services.close_without_project(topic=decided_topic, by=community_officer)
    assert decided_topic.status == S.DONE


def test_a_decision_becomes_a_request(decided_topic, community_officer, matter):
    services.follow_up_as_request(topic=decided_topic, by=community_officer, matter=matter)
    decided_topic.refresh_from_db()
    assert decided_topic.status == S.FOLLOW_UP
    ticket = decided_topic.ticket
    assert ticket.area == decided_topic.grid and "3号楼加装电梯" in ticket.description
