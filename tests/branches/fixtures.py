"""Branch fixtures in the shared territory (see tests/conftest.py): a branch for G1 in C1."""

import datetime as dt

import pytest

from branches import services
from branches.models import (
    CoBuildingUnit,
    HouseholdLink,
    MemberKind,
    PartyMember,
    Registration,
)
from grids.roles import Role
from tests.factories import HouseholdFactory, PostFactory, UserFactory


@pytest.fixture
def community_officer_of_c1(territory):
    user = UserFactory(username="c1_officer")
    PostFactory(user=user, area=territory.community, role=Role.COMMUNITY_STAFF)
    return user


@pytest.fixture
def grid_leader(territory):
    user = UserFactory(username="g1_leader", display_name="李建国")
    PostFactory(user=user, area=territory.grid, role=Role.GRID_LEADER)
    return user


@pytest.fixture
def branch(territory, grid_leader):
    secretary = PartyMember.objects.create(
        name="李建国", phone="13900000001", community=territory.community, user=grid_leader
    )
    made = services.save_branch(
        by=None,
        community=territory.community,
        code="C1-B01",
        name="幸福第一网格党支部",
        grids=[territory.grid],
        secretary=secretary,
        founded_on=dt.date(2020, 7, 1),
    )
    secretary.branch = made
    secretary.save()
    return made


@pytest.fixture
def member(branch):
    return PartyMember.objects.create(
        name="王党员",
        phone="13900000002",
        community=branch.community,
        branch=branch,
        kind=MemberKind.RETIRED,
    )


@pytest.fixture
def registration(territory):
    return services.register_in_service_member(
        by=None,
        community=territory.community,
        name="赵在职",
        phone="13900000003",
        work_unit="区税务局",
        posts=["legal_aid"],
    )


@pytest.fixture
def link(member, territory):
    household = HouseholdFactory(grid=territory.grid)
    return HouseholdLink.objects.create(member=member, household=household)


@pytest.fixture
def unit(territory):
    return CoBuildingUnit.objects.create(
        community=territory.community, name="区人民法院", kind="government"
    )


@pytest.fixture
def meeting(territory, unit):
    return services.record_meeting(
        by=None,
        community=territory.community,
        held_on=dt.date(2026, 3, 1),
        title="平安社区联席会议",
        topics="消防通道",
        units=[unit],
        decisions=["清理通道"],
    )


@pytest.fixture
def pending(registration):
    assert registration.status == Registration.Status.PENDING
    return registration
