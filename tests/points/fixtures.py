"""Points fixtures in the shared territory (see tests/conftest.py): a service scheme with an
hourly rule, a member of the C1 branch with a sign-in, and one declaration on its way."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from branches.models import PartyMember
from points import services
from points.models import Account, Declaration, Rule, Scheme
from tests.factories import UserFactory, jpeg


@pytest.fixture
def service_scheme(db):
    return Scheme.objects.create(
        code="service", name_en="Service points", name_zh="党员服务积分", publicity_days=5
    )


@pytest.fixture
def hour_rule(service_scheme):
    return Rule.objects.create(
        scheme=service_scheme,
        code="volunteer",
        name_en="Volunteer service",
        name_zh="志愿服务",
        points=2,
        unit=Rule.Unit.HOUR,
        cap_day=10,
    )


@pytest.fixture
def member_user(member):
    user = UserFactory(username="member_wang", display_name="王党员")
    PartyMember.objects.filter(pk=member.pk).update(user=user)
    member.refresh_from_db()
    return user


@pytest.fixture
def member_account(service_scheme, member, member_user):
    return Account.objects.create(scheme=service_scheme, community=member.community, member=member)


@pytest.fixture
def secretary_user(branch):
    """The branch secretary signs in as the grid leader (一肩挑)."""
    return branch.secretary.user


def declare(user, account, rule, hours="3", served_on=None, **extra) -> Declaration:
    return services.declare(
        by=user,
        client_id=uuid.uuid4(),
        account=account,
        rule=rule,
        served_on=served_on or dt.date(2026, 11, 20),
        hours=Decimal(hours),
        description="社区助老服务",
        **extra,
    )


@pytest.fixture
def declaration(member_user, member_account, hour_rule):
    return declare(member_user, member_account, hour_rule)


@pytest.fixture
def collected(declaration, secretary_user, branch):
    """The declaration in an open batch of the branch."""
    services.collect(by=secretary_user, branch=branch, declarations=[declaration])
    declaration.refresh_from_db()
    return declaration


@pytest.fixture
def declaration_photo(member_user, member_account, hour_rule):
    item = declare(member_user, member_account, hour_rule, photos=[jpeg()])
    return item.photos.get()


@pytest.fixture
def reward(service_scheme, territory):
    """A reward of community C1's catalogue, five in stock."""
    from points.models import Reward

    return Reward.objects.create(
        scheme=service_scheme, community=territory.community, name="大米5kg", cost=50, stock=5
    )


@pytest.fixture
def street_honour_list(service_scheme, territory):
    """A red/black list street S1 set up for its communities."""
    from points.models import HonourList

    return HonourList.objects.create(
        scheme=service_scheme,
        area=territory.street,
        name_en="Branches by points per member",
        name_zh="支部人均积分榜",
        unit=HonourList.Unit.BRANCH,
        measure=HonourList.Measure.POINTS_PER_MEMBER,
        size=2,
    )
