"""Lists and overviews run a constant number of queries whatever the row count."""

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, PostFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def _fill(territory, n):
    for i in range(n):
        household = HouseholdFactory(grid=territory.grid, micro_grid=territory.micro)
        ResidentFactory(household=household, name=f"户主{i}")
        PostFactory(area=territory.grid, role="volunteer")


def _count(client, url, django_assert_max_num_queries, limit):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # warm: on a shared cache posts and the bell's count are cached (core/versioned.py)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert len(ctx.captured_queries) <= limit, "\n".join(q["sql"] for q in ctx.captured_queries)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name, code, persona_name",
    [
        ("household_list", "G1", "own_worker"),
        ("household_list", "D", "district_officer"),
        ("area_detail", "G1", "own_worker"),
        ("area_detail", "C1", "community_officer"),
        ("area_detail", "D", "district_officer"),
        ("area_staffing", "D", "district_officer"),
        ("area_coverage", "D", "district_officer"),
    ],
)
def test_page_queries_do_not_grow_with_rows(
    url_name, code, persona_name, territory, persona, client, django_assert_max_num_queries
):
    persona(persona_name)
    url = reverse(url_name, kwargs={"code": code})
    _fill(territory, 1)
    one = _count(client, url, django_assert_max_num_queries, 20)
    _fill(territory, 49)
    fifty = _count(client, url, django_assert_max_num_queries, 20)
    assert fifty == one


def test_household_detail_queries_do_not_grow_with_residents(territory, persona, client, household):
    persona("own_worker")
    url = reverse("household_detail", kwargs={"pk": household.pk})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ResidentFactory(household=household)
    # warm: on a shared cache posts and the bell's count are cached (core/versioned.py)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(9):
        ResidentFactory(household=household)
    client.get(url)
    with CaptureQueriesContext(connection) as ten:
        client.get(url)
    assert len(ten.captured_queries) == len(one.captured_queries)
