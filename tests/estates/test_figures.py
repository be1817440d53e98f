"""红色物业's dashboard figures: values, and the same few queries for one area or many."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from estates import figures
from estates.models import Estate

pytestmark = pytest.mark.django_db


def test_every_figure_has_a_definition():
    keys = [d.key for d in figures.DEFINITIONS]
    assert len(keys) == len(set(keys)) == 10


def test_the_figures_of_an_area_and_those_under_it(
    property_list, territory, property_matter, community_officer
):
    from tickets import services as tickets
    from tickets.models import Ticket

    Estate.objects.create(name="自管小区", community=territory.community)
    ticket = tickets.submit(
        channel="qr",
        matter=property_matter,
        description="路灯坏了",
        reporter_phone="13812345678",
        grid=territory.grid,
    )
    Ticket.objects.filter(pk=ticket.pk).update(rating=4)
    today = dt.date.today()
    areas = [territory.district, territory.street, territory.community, territory.other_street]
    result = figures.figures(areas, dt.date(2026, 1, 1), today)
    street = result[territory.street.pk]
    assert street["companies"] == 1 and street["estates"] == 2
    assert street["estates_with_company_share"] == 0.5
    assert street["companies_with_party_org_share"] == 1.0
    assert street["ratings_submitted"] == 1 and street["average_score"] == 100.0
    assert (street["red_list"], street["black_list"]) == (1, 0)
    assert (street["property_requests"], street["property_satisfaction"]) == (1, 4.0)
    assert result[territory.district.pk] == street
    other = result[territory.other_street.pk]
    assert other["estates"] == 0 and other["average_score"] is None
    assert other["estates_with_company_share"] is None


def test_the_figures_take_the_same_queries_for_one_area_or_many(property_list, territory):
    first, last = dt.date(2025, 7, 1), dt.date(2026, 12, 31)
    with CaptureQueriesContext(connection) as one:
        figures.figures([territory.community], first, last)
    areas = [territory.district, territory.street, territory.community, territory.grid]
    with CaptureQueriesContext(connection) as many:
        figures.figures(areas, first, last)
    assert len(one) == len(many) <= 5
