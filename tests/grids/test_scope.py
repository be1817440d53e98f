import datetime as dt

import pytest

from grids.models import Area, Household, Resident
from grids.roles import Role
from grids.scope import forget_posts
from tests.factories import HouseholdFactory, PostFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(territory):
    """One household per grid, the one in G1 inside micro-grid M1, another in M2."""
    made = {
        "G1-M1": HouseholdFactory(grid=territory.grid, micro_grid=territory.micro),
        "G1-M2": HouseholdFactory(grid=territory.grid, micro_grid=territory.micro2),
        "G2": HouseholdFactory(grid=territory.neighbour_grid),
        "G3": HouseholdFactory(grid=territory.far_grid),
        "G4": HouseholdFactory(grid=territory.other_street_grid),
    }
    for household in made.values():
        ResidentFactory(household=household)
    return made


def _seen(user, homes):
    visible = set(Household.objects.visible_to(user).values_list("pk", flat=True))
    return {key for key, household in homes.items() if household.pk in visible}


def test_a_user_with_two_posts_sees_both_areas(territory, homes):
    user = UserFactory()
    PostFactory(user=user, area=territory.grid, role=Role.GRID_WORKER)
    PostFactory(user=user, area=territory.other_street_grid, role=Role.GRID_WORKER)
    assert _seen(user, homes) == {"G1-M1", "G1-M2", "G4"}
    assert set(Area.objects.visible_to(user).values_list("code", flat=True)) == {
        "G1",
        "G1-M1",
        "G1-M2",
        "G4",
    }


def test_a_liaison_sees_only_the_households_of_their_micro_grid(territory, homes):
    liaison = UserFactory()
    PostFactory(user=liaison, area=territory.micro, role=Role.LIAISON)
    assert _seen(liaison, homes) == {"G1-M1"}
    assert Resident.objects.visible_to(liaison).count() == 1


def test_volunteers_and_riders_see_the_area_but_no_household(territory, homes):
    for role, area in [(Role.VOLUNTEER, territory.grid), (Role.MOBILE_WORKER, territory.community)]:
        user = UserFactory()
        PostFactory(user=user, area=area, role=role)
        assert _seen(user, homes) == set()
        assert Area.objects.visible_to(user).filter(pk=territory.grid.pk).exists()


def test_an_ended_post_gives_nothing(territory, homes):
    user = UserFactory()
    post = PostFactory(user=user, area=territory.community, role=Role.COMMUNITY_STAFF)
    assert _seen(user, homes) == {"G1-M1", "G1-M2", "G2"}
    post.ended_on = dt.date.today()
    post.save()
    forget_posts(user)
    assert _seen(user, homes) == set()


def test_district_staff_and_superusers_see_everything_anonymous_nothing(
    territory, homes, district_officer
):
    from django.contrib.auth.models import AnonymousUser

    assert _seen(district_officer, homes) == set(homes)
    assert _seen(UserFactory(is_superuser=True), homes) == set(homes)
    assert _seen(AnonymousUser(), homes) == set()
    assert _seen(UserFactory(is_active=False, is_superuser=True), homes) == set()


def test_posts_are_read_once_per_request(own_worker, territory, django_assert_num_queries):
    from grids.scope import scope_paths

    forget_posts(own_worker)
    with django_assert_num_queries(1):
        for _ in range(5):
            scope_paths(own_worker)
