"""红色物业 fixtures: a company serving an estate of C1 on the own worker's grid G1, the
standard loaded, a submitted rating and a published list of the street."""

import pytest

from estates.demo import load_defaults
from estates.models import Company, Estate, PartyOrg, StandardItem

CREDIT_CODE = "91320412MA1XYC1234"
PERIOD = "2026H1"


@pytest.fixture
def standard(db):
    load_defaults()
    return list(StandardItem.objects.filter(active=True))


@pytest.fixture
def company(territory):
    from estates.services import set_up_company

    company = set_up_company(
        company=Company(
            name="青湖物业服务有限公司",
            credit_code=CREDIT_CODE,
            contact_name="王经理",
            phone="13912345678",
            party_org=PartyOrg.INDEPENDENT,
        )
    )
    estate = Estate.objects.create(
        name="幸福花园", community=territory.community, company=company, households=320
    )
    estate.grids.add(territory.grid)
    return company


def full_scores(items, minus: int = 0) -> dict:
    scores = {item.pk: item.max_score for item in items}
    first = items[0]
    scores[first.pk] = max(0, first.max_score - minus)
    return scores


@pytest.fixture
def rating(company, standard, territory):
    """The community's submitted rating of the company for PERIOD (full marks)."""
    from estates.services import record_rating
    from grids.roles import Role
    from tests.factories import PostFactory

    officer = PostFactory(area=territory.community, role=Role.COMMUNITY_STAFF).user
    return record_rating(
        by=officer,
        company=company,
        community=territory.community,
        period=PERIOD,
        scores=full_scores(standard),
        submit=True,
    )


@pytest.fixture
def property_list(rating, territory, street_officer):
    from estates.services import publish_list

    return publish_list(by=street_officer, area=territory.street, period=PERIOD)


@pytest.fixture
def property_matter(db):
    from core.models import CalendarDay
    from tickets.catalogue import fill_defaults
    from tickets.models import Category, Department, Matter

    fill_defaults(Department, Category, Matter, CalendarDay)
    return Matter.objects.get(code="estate_facilities")
