"""Visit plans on a product page: a community's own, a street's default, the built-in one;
the due dates follow a change at once, and nobody sets another area's plan."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from grids import services
from grids.models import CareCategory, Household
from tests.factories import HouseholdFactory
from visits import services as visits
from visits.models import VisitPlan

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 23, 10, tzinfo=SH)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _form(routine, **care):
    data = {"routine_days": routine}
    for key in CareCategory.values:
        data[f"care_{key}"] = care.get(key, 30)
    return data


def test_a_community_without_a_plan_follows_its_streets_default(
    clock, own_worker, street_officer, territory
):
    household = services.create_household(by=own_worker, grid=territory.grid, address="1幢1")
    assert household.visit_due_on == TODAY + dt.timedelta(days=90)
    visits.set_plan(by=street_officer, area=territory.street, routine_days=45, care_days={})
    household.refresh_from_db()
    assert household.visit_due_on == TODAY + dt.timedelta(days=45)
    in_force = visits.plan_in_force(territory.community)
    assert (in_force.source, in_force.plan.routine_days) == (VisitPlan.Source.STREET, 45)
    # The community's own plan wins over the street's default.
    VisitPlan.objects.create(area=territory.community, routine_days=20)
    visits.refresh_due(household_ids=[household.pk])
    household.refresh_from_db()
    assert household.visit_due_on == TODAY + dt.timedelta(days=20)
    assert visits.plan_in_force(territory.community).source == VisitPlan.Source.OWN
    # Another street's communities keep the built-in intervals.
    assert visits.plan_in_force(territory.other_street).source == VisitPlan.Source.BUILT_IN


def test_removing_a_street_default_brings_back_the_built_in_intervals(
    clock, own_worker, street_officer, territory
):
    household = services.create_household(by=own_worker, grid=territory.grid, address="1幢2")
    plan = visits.set_plan(by=street_officer, area=territory.street, routine_days=30, care_days={})
    visits.delete_plan(by=street_officer, plan=plan)
    household.refresh_from_db()
    assert household.visit_due_on == TODAY + dt.timedelta(days=90)


def test_due_dates_are_resolved_in_a_constant_number_of_queries(
    clock, territory, street_officer, django_assert_max_num_queries
):
    VisitPlan.objects.create(area=territory.street, routine_days=40)
    VisitPlan.objects.create(area=territory.other_community, routine_days=10)
    few = [HouseholdFactory(grid=territory.grid).pk]
    many = [HouseholdFactory(grid=g).pk for g in Household_grids(territory) for _ in range(10)]
    with django_assert_max_num_queries(4):
        visits.refresh_due(household_ids=few)
    with django_assert_max_num_queries(6):
        visits.refresh_due(household_ids=many)
    due = dict(Household.objects.filter(pk__in=many).values_list("grid__code", "visit_due_on"))
    assert due["G1"] == TODAY + dt.timedelta(days=40)  # C1: the street's default
    assert due["G3"] == TODAY + dt.timedelta(days=10)  # C2: its own plan
    assert due["G4"] == TODAY + dt.timedelta(days=90)  # C3, in S2: built-in


def Household_grids(territory):
    from grids.models import Area

    return list(Area.objects.filter(code__in=["G1", "G3", "G4"]))


def test_the_community_officer_sets_its_plan_on_the_page_and_sees_its_history(
    clock, client, own_worker, community_officer, territory
):
    household = services.create_household(by=own_worker, grid=territory.grid, address="2幢1")
    client.force_login(community_officer)
    url = reverse("visit_plan", kwargs={"code": territory.community.code})
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["in_force"].source == VisitPlan.Source.BUILT_IN
    response = client.post(url, _form(60, elderly_alone=5))
    assert response.status_code == 302
    plan = VisitPlan.objects.get(area=territory.community)
    assert plan.routine_days == 60 and plan.care_days["elderly_alone"] == 5
    household.refresh_from_db()
    assert household.visit_due_on == TODAY + dt.timedelta(days=60)
    page = client.get(url)
    assert page.context["in_force"].source == VisitPlan.Source.OWN
    assert 'data-source="own"' in page.content.decode()
    assert page.context["history"], "the plan's change is shown on its page"
    # Back to the street's default (here: the built-in one).
    client.post(reverse("visit_plan_reset", kwargs={"code": territory.community.code}))
    assert not VisitPlan.objects.filter(area=territory.community).exists()


def test_a_bad_plan_changes_nothing_and_says_which_field(client, community_officer, territory):
    VisitPlan.objects.create(area=territory.community, routine_days=60)
    client.force_login(community_officer)
    url = reverse("visit_plan", kwargs={"code": territory.community.code})
    response = client.post(url, _form(0, veteran=400))
    assert response.status_code == 200
    form = response.context["form"]
    assert "routine_days" in form.errors and "care_veteran" in form.errors
    assert VisitPlan.objects.get(area=territory.community).routine_days == 60


def test_the_street_page_shows_which_communities_have_their_own_plan(
    client, street_officer, territory
):
    VisitPlan.objects.create(area=territory.community, routine_days=60)
    client.force_login(street_officer)
    page = client.get(reverse("visit_plan", kwargs={"code": territory.street.code}))
    assert [(c.code, own) for c, own in page.context["communities"]] == [
        ("C1", True),
        ("C2", False),
    ]


def test_a_community_officer_cannot_touch_another_communitys_or_its_streets_plan(
    client, community_officer, territory
):
    client.force_login(community_officer)
    for code in (territory.other_community.code, territory.street.code):
        assert client.get(reverse("visit_plan", kwargs={"code": code})).status_code == 404
        assert (
            client.post(reverse("visit_plan", kwargs={"code": code}), _form(5)).status_code == 404
        )
    assert not VisitPlan.objects.exists()
    with pytest.raises(PermissionDenied):
        visits.set_plan(
            by=community_officer, area=territory.other_community, routine_days=5, care_days={}
        )


def test_the_area_page_links_the_plan_to_who_may_set_it(
    client, community_officer, own_worker, territory
):
    url = reverse("visit_plan", kwargs={"code": territory.community.code})
    client.force_login(community_officer)
    assert url in client.get(reverse("area_detail", kwargs={"code": "C1"})).content.decode()
    client.force_login(own_worker)
    page = client.get(reverse("area_detail", kwargs={"code": "G1"})).content.decode()
    assert "visit-plan" not in page


def test_the_visit_report_links_the_plan_at_a_community_not_at_a_grid(
    client, community_officer, territory
):
    client.force_login(community_officer)
    plan = reverse("visit_plan", kwargs={"code": "C1"})
    assert plan in client.get(reverse("visit_report", kwargs={"code": "C1"})).content.decode()
    grid = client.get(reverse("visit_report", kwargs={"code": "G1"})).content.decode()
    assert "visit-plan" not in grid
