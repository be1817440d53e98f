"""Finding households by name, address, a mobile's last four digits or an ID number, within
the user's scope, and the household list's count without counting every household."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids import list_cache, paging, search
from grids.tallies import refresh_tallies
from tests.factories import HouseholdFactory, ResidentFactory, make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lists_rendered(monkeypatch):
    """These tests look at a list as it is rendered (its context, its queries): keeping it is
    test_list_cache's."""
    monkeypatch.setattr(list_cache, "kept", lambda: False)


def _id_number_ending_in_x() -> str:
    while not (number := make_id_number()).endswith("X"):
        pass
    return number


@pytest.fixture(params=["by id", "walked"])
def homes(request, territory, monkeypatch):
    """Each search both ways: few matches read by id, many filtered as the list is walked."""
    if request.param == "walked":
        monkeypatch.setattr(search, "PROBE", 0)
    return _homes(territory)


def _homes(territory):
    """Two households in the worker's grid G1, and a look-alike in the neighbouring G2."""
    zhang = HouseholdFactory(grid=territory.grid, address="幸福花园3栋2单元501室")
    ResidentFactory(
        household=zhang, name="张伟明", phone="13912345678", id_number=_id_number_ending_in_x()
    )
    li = HouseholdFactory(grid=territory.grid, address="和平里9号")
    ResidentFactory(household=li, name="李娜", phone="13800001111")
    ResidentFactory(household=li, name="张小红", relationship="child", phone="")
    other = HouseholdFactory(grid=territory.neighbour_grid, address="幸福花园3栋2单元502室")
    ResidentFactory(household=other, name="张伟明", phone="13712345678", id_number=make_id_number())
    return zhang, li, other


def _found(client, code, q):
    response = client.get(reverse("household_list", kwargs={"code": code}), {"q": q})
    assert response.status_code == 200
    return {h.pk for h in response.context["page"]}


def test_a_full_name_or_a_surname_finds_the_households(persona, client, homes):
    zhang, li, other = homes
    persona("district_officer")
    assert _found(client, "D", "张伟明") == {zhang.pk, other.pk}
    assert _found(client, "D", "张") == {zhang.pk, li.pk, other.pk}  # 张小红 lives with 李娜
    assert _found(client, "D", "李娜") == {li.pk}


def test_part_of_an_address_finds_the_household(persona, client, homes):
    zhang, _li, other = homes
    persona("district_officer")
    assert _found(client, "D", "3栋2单元") == {zhang.pk, other.pk}
    assert _found(client, "D", "501室") == {zhang.pk}
    # One or two characters: the start of an address.
    assert _found(client, "D", "和平") == {homes[1].pk}


def test_the_last_four_digits_of_a_mobile_find_the_household(persona, client, homes):
    zhang, li, other = homes
    persona("district_officer")
    assert _found(client, "D", "5678") == {zhang.pk, other.pk}
    assert _found(client, "D", "1111") == {li.pk}


def test_an_id_number_finds_the_household_even_with_a_lower_case_x(persona, client, homes):
    zhang, _li, _other = homes
    number = zhang.residents.get().id_number
    persona("district_officer")
    assert _found(client, "D", number) == {zhang.pk}
    assert _found(client, "D", number.lower()) == {zhang.pk}
    assert _found(client, "D", f" {number[:6]} {number[6:]} ") == {zhang.pk}


def test_a_search_without_a_match_finds_nothing(persona, client, homes):
    persona("district_officer")
    assert _found(client, "D", "王") == set()
    assert _found(client, "D", "不存在的路") == set()
    assert _found(client, "D", "0000") == set()
    assert _found(client, "D", make_id_number()) == set()


def test_a_worker_never_finds_another_grids_household(persona, client, homes):
    zhang, _li, other = homes
    persona("own_worker")
    other_id = other.residents.get().id_number
    assert _found(client, "G1", "张伟明") == {zhang.pk}
    assert _found(client, "G1", "3栋2单元") == {zhang.pk}
    assert _found(client, "G1", "5678") == {zhang.pk}
    assert _found(client, "G1", other_id) == set()
    assert (
        client.get(reverse("household_list", kwargs={"code": "G2"}), {"q": "张"}).status_code == 404
    )


def test_the_district_list_counts_from_the_grid_tallies_not_the_households(
    persona, client, territory
):
    for n in range(3):
        HouseholdFactory(grid=territory.grid, address=f"1幢{n}")
    HouseholdFactory(grid=territory.far_grid, address="远方1号")
    refresh_tallies()
    persona("district_officer")
    url = reverse("household_list", kwargs={"code": "D"})
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.context["page"].paginator.count == 4
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not any('FROM "grids_household"' in sql for sql in counts), counts


def test_a_stale_tally_neither_hides_households_nor_invents_pages(persona, client, territory):
    refresh_tallies()  # all zero
    for n in range(3):
        HouseholdFactory(grid=territory.grid, address=f"1幢{n}")
    persona("district_officer")
    page = client.get(reverse("household_list", kwargs={"code": "D"})).context["page"]
    assert len(page.object_list) == 3
    assert page.paginator.count == 3 and not page.has_next()


def test_a_search_counts_its_matches_up_to_a_cap(persona, client, territory, monkeypatch):
    monkeypatch.setattr(paging, "SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr("grids.views.PAGE_SIZE", 2)
    for n in range(5):
        HouseholdFactory(grid=territory.grid, address=f"长安街{n}号")
    persona("district_officer")
    url = reverse("household_list", kwargs={"code": "S1"})
    first = client.get(url, {"q": "长安街"})
    page = first.context["page"]
    assert (page.paginator.count, page.paginator.at_least) == (2, True)
    assert page.has_next()
    assert "More than 2 households" in first.content.decode()
    # Past the cap the rows decide: the last page is found and then counted exactly.
    last = client.get(url, {"q": "长安街", "page": 3}).context["page"]
    assert len(last.object_list) == 1 and not last.has_next()
    assert (last.paginator.count, last.paginator.at_least) == (5, False)
    beyond = client.get(url, {"q": "长安街", "page": 9}).context["page"]
    assert beyond.number == 3


def test_in_the_whole_district_the_search_itself_counts_the_matches(
    persona, client, territory, monkeypatch
):
    for n in range(3):
        HouseholdFactory(grid=territory.grid, address=f"长安街{n}号")
    HouseholdFactory(grid=territory.far_grid, address="长安街9号")
    persona("district_officer")
    url = reverse("household_list", kwargs={"code": "D"})
    client.get(url, {"q": "长安街"})
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url, {"q": "长安街"}).context["page"]
    assert (page.paginator.count, page.paginator.at_least) == (4, False)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not any('FROM "grids_household"' in sql for sql in counts), counts
    # More than the search reads by id: "more than 100" without counting, until the rows
    # show the end of the list.
    monkeypatch.setattr(search, "PROBE", 2)
    monkeypatch.setattr("grids.views.PAGE_SIZE", 2)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url, {"q": "长安街"}).context["page"]
    assert (page.paginator.count, page.paginator.at_least) == (paging.SEARCH_COUNT_CAP, True)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not any('FROM "grids_household"' in sql for sql in counts), counts
    last = client.get(url, {"q": "长安街", "page": 2}).context["page"]
    assert (last.paginator.count, last.paginator.at_least) == (4, False)


@pytest.mark.parametrize("probe", [search.PROBE, 0], ids=["by id", "walked"])
@pytest.mark.parametrize("code", ["D", "S1", "G1"])
@pytest.mark.parametrize("q", ["张", "3栋2单元", "5678"])
def test_a_search_costs_the_same_queries_for_1_or_50_households(
    q, code, probe, persona, client, territory, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(search, "PROBE", probe)
    serial = itertools.count()

    def fill(n):
        for _ in range(n):
            household = HouseholdFactory(
                grid=territory.grid, address=f"幸福花园3栋2单元{next(serial)}"
            )
            ResidentFactory(household=household, name="张三", phone="13900005678")

    persona("district_officer")
    url = reverse("household_list", kwargs={"code": code})
    fill(1)
    client.get(url, {"q": q})
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url, {"q": q}).context["page"].object_list) == 1
    # Read now: captured_queries slices the connection's log, which the next request resets.
    queries = len(one.captured_queries)
    fill(49)
    client.get(url, {"q": q})
    with django_assert_max_num_queries(queries):
        response = client.get(url, {"q": q})
    assert len(response.context["page"].object_list) == 25
