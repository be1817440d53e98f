"""The resident list (实有人口) of an area: the people under it, masked, searchable, and by
care category, counted without counting every resident per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids import list_cache, paging, search
from grids.models import CareCategory, Resident, ResidentCare
from grids.tallies import refresh_tallies
from tests.factories import HouseholdFactory, ResidentFactory, make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lists_rendered(monkeypatch):
    """These tests look at a list as it is rendered (its context, its queries): keeping it is
    test_list_cache's."""
    monkeypatch.setattr(list_cache, "kept", lambda: False)


def _url(code):
    return reverse("resident_list", kwargs={"code": code})


def _names(response):
    assert response.status_code == 200
    return sorted(r.name for r in response.context["page"])


@pytest.fixture
def people(territory):
    """Two households of the worker's grid G1 and one of the neighbouring G2."""
    garden = HouseholdFactory(grid=territory.grid, address="幸福花园3栋501室")
    zhang = ResidentFactory(
        household=garden, name="张伟明", phone="13912345678", id_number=make_id_number()
    )
    wang = ResidentFactory(household=garden, name="王秀英", relationship="spouse", phone="")
    lane = HouseholdFactory(grid=territory.grid, address="和平里9号")
    li = ResidentFactory(household=lane, name="李娜", phone="13800001111")
    gone = ResidentFactory(household=lane, name="李强", status=Resident.Status.MOVED_OUT)
    ResidentCare.objects.create(resident=wang, category=CareCategory.ELDERLY_ALONE)
    ResidentCare.objects.create(resident=li, category=CareCategory.DISABLED)
    far = HouseholdFactory(grid=territory.neighbour_grid, address="幸福花园3栋502室")
    stranger = ResidentFactory(
        household=far, name="张伟明", phone="13712345678", id_number=make_id_number()
    )
    ResidentCare.objects.create(resident=stranger, category=CareCategory.ELDERLY_ALONE)
    refresh_tallies()
    return {"zhang": zhang, "wang": wang, "li": li, "gone": gone, "stranger": stranger}


def test_the_worker_sees_the_people_living_in_their_grid_masked(persona, client, people):
    persona("own_worker")
    response = client.get(_url("G1"))
    assert _names(response) == ["张伟明", "李娜", "王秀英"]  # 李强 moved out; G2 not shown
    html = response.content.decode()
    zhang = people["zhang"]
    assert zhang.id_number not in html and zhang.phone not in html
    assert zhang.masked_id_number in html and zhang.masked_phone in html
    assert f"#resident-{zhang.pk}" in html  # to the household page, which reveals (logged)
    assert "no-store" in response["Cache-Control"]


def test_another_grid_s_list_is_not_found_and_leaks_nothing(persona, client, people):
    persona("neighbour_worker")
    assert client.get(_url("G1")).status_code == 404
    assert client.get(_url("C1")).status_code == 404  # the community above the worker's grid
    assert _names(client.get(_url("G2"))) == ["张伟明"]
    # A search in one's own grid never reaches a resident of another.
    assert _names(client.get(_url("G2"), {"q": people["zhang"].id_number})) == []


def test_the_street_sees_every_grid_under_it(persona, client, people):
    persona("street_officer")
    assert _names(client.get(_url("S1"))) == ["张伟明", "张伟明", "李娜", "王秀英"]


def test_a_care_category_lists_who_needs_care_visits(persona, client, people):
    persona("community_officer")
    response = client.get(_url("C1"), {"care": CareCategory.ELDERLY_ALONE})
    assert _names(response) == ["张伟明", "王秀英"]  # 张伟明 of G2, 王秀英 of G1
    assert "独居老人" in response.content.decode() or "Elderly living alone" in (
        response.content.decode()
    )
    assert response.context["page"].paginator.count == 2


def test_moved_out_and_every_status_are_shown_when_asked(persona, client, people):
    persona("own_worker")
    assert _names(client.get(_url("G1"), {"status": "moved_out"})) == ["李强"]
    assert _names(client.get(_url("G1"), {"status": "any"})) == ["张伟明", "李娜", "李强", "王秀英"]


def test_search_by_name_last_four_id_number_or_address(persona, client, people):
    persona("district_officer")
    assert _names(client.get(_url("D"), {"q": "张伟明"})) == ["张伟明", "张伟明"]
    assert _names(client.get(_url("D"), {"q": "李"})) == ["李娜"]  # living only
    assert _names(client.get(_url("D"), {"q": "1111"})) == ["李娜"]
    zhang = people["zhang"]
    assert _names(client.get(_url("D"), {"q": zhang.id_number.lower()})) == ["张伟明"]
    # An address finds everyone living there, a name or not.
    assert _names(client.get(_url("D"), {"q": "3栋501"})) == ["张伟明", "王秀英"]


def test_many_address_matches_are_filtered_as_the_list_is_walked(
    persona, client, people, monkeypatch
):
    monkeypatch.setattr(search, "PROBE", 0)
    persona("district_officer")
    assert _names(client.get(_url("D"), {"q": "幸福花园"})) == ["张伟明", "张伟明", "王秀英"]


def test_a_bad_filter_is_shown_and_the_rest_still_applies(persona, client, people):
    persona("own_worker")
    response = client.get(_url("G1"), {"care": "nonsense", "q": "李"})
    assert _names(response) == ["李娜"]
    assert response.context["form"].errors["care"]
    assert 'class="small text-danger' in response.content.decode()


def test_the_count_comes_from_the_tallies_above_a_grid(persona, client, people):
    persona("district_officer")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(_url("D"))
    assert response.context["page"].paginator.count == 4
    assert not any(
        "COUNT(" in q["sql"].upper() and 'FROM "grids_resident"' in q["sql"]
        for q in ctx.captured_queries
    )


def test_a_filter_counts_up_to_a_cap_and_the_rows_decide_past_it(
    persona, client, territory, monkeypatch
):
    home = HouseholdFactory(grid=territory.grid, address="长安街1号")
    for n in range(5):
        resident = ResidentFactory(household=home, name=f"陈{n}")
        ResidentCare.objects.create(resident=resident, category=CareCategory.VETERAN)
    monkeypatch.setattr(paging, "SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr("grids.views.PAGE_SIZE", 2)
    persona("district_officer")
    first = client.get(_url("D"), {"care": CareCategory.VETERAN})
    page = first.context["page"]
    assert (page.paginator.count, page.paginator.at_least) == (2, True) and page.has_next()
    last = client.get(_url("D"), {"care": CareCategory.VETERAN, "page": 3}).context["page"]
    assert (last.paginator.count, last.paginator.at_least) == (5, False)
    assert not last.has_next()
    # The pager keeps the filter.
    assert "care=veteran&amp;page=2" in first.content.decode()


@pytest.mark.parametrize("rows", [1, 50])
def test_the_list_costs_the_same_queries_for_1_or_50_residents(
    persona, client, territory, rows, django_assert_max_num_queries
):
    for n in range(rows):
        home = HouseholdFactory(grid=territory.grid, address=f"长安街{n}号")
        resident = ResidentFactory(household=home)
        ResidentCare.objects.create(resident=resident, category=CareCategory.DISABLED)
    refresh_tallies()
    persona("community_officer")
    client.get(_url("C1"))
    with django_assert_max_num_queries(8):
        response = client.get(_url("C1"))
    assert len(response.context["page"].object_list) == min(rows, 25)
    with django_assert_max_num_queries(8):
        client.get(_url("C1"), {"care": CareCategory.DISABLED})


def test_the_area_page_links_the_resident_list(persona, client, territory):
    persona("own_worker")
    assert _url("G1") in client.get(reverse("area_detail", kwargs={"code": "G1"})).content.decode()
