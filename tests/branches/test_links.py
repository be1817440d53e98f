import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from branches import selectors, services
from branches.models import HouseholdLink, PartyMember
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def _households(territory, n, grid=None):
    return [HouseholdFactory(grid=grid or territory.grid) for _ in range(n)]


def test_a_member_links_up_to_ten_households(territory, member, grid_leader):
    homes = _households(territory, 11)
    for household in homes[:10]:
        services.link_household(by=grid_leader, member=member, household=household)
    with pytest.raises(ValidationError) as caught:
        services.link_household(by=grid_leader, member=member, household=homes[10])
    assert "10" in str(caught.value)
    assert member.links.count() == 10


def test_a_member_central_household_links_up_to_thirty(territory, member, grid_leader):
    member.is_central_household = True
    member.save()
    for household in _households(territory, 30):
        services.link_household(by=grid_leader, member=member, household=household)
    with pytest.raises(ValidationError):
        services.link_household(
            by=grid_leader, member=member, household=_households(territory, 1)[0]
        )


def test_a_household_cannot_be_linked_twice_to_the_same_member(territory, member, grid_leader):
    household = _households(territory, 1)[0]
    services.link_household(by=grid_leader, member=member, household=household)
    with pytest.raises(ValidationError) as caught:
        services.link_household(by=grid_leader, member=member, household=household)
    assert "already linked" in str(caught.value)


def test_households_outside_the_members_community_are_refused(territory, member, district_officer):
    from grids.roles import Role
    from tests.factories import PostFactory

    officer = PostFactory(area=territory.other_community, role=Role.COMMUNITY_STAFF).user
    household = _households(territory, 1, grid=territory.far_grid)[0]
    with pytest.raises(ValidationError):
        services.link_household(by=officer, member=member, household=household)


def test_a_grid_worker_without_the_leader_post_cannot_link(territory, member, own_worker):
    with pytest.raises(PermissionDenied):
        services.link_household(
            by=own_worker, member=member, household=_households(territory, 1)[0]
        )


def test_gaps_count_households_without_any_linked_member(territory, member, grid_leader):
    homes = _households(territory, 4)
    _households(territory, 2, grid=territory.neighbour_grid)
    services.link_household(by=grid_leader, member=member, household=homes[0])
    gaps = {
        gap.grid.code: (gap.households, gap.unlinked)
        for gap in selectors.link_gaps(
            territory.community.__class__.objects.under(territory.community).grids()
        )
    }
    assert gaps == {"G1": (4, 3), "G2": (2, 2)}
    assert selectors.unlinked_households(territory.grid).count() == 3


def test_members_below_the_minimum_are_flagged(territory, member, grid_leader):
    for household in _households(territory, 4):
        services.link_household(by=grid_leader, member=member, household=household)
    [row] = selectors.members_with_link_counts(PartyMember.objects.filter(pk=member.pk))
    assert row.link_count == 4 and row.links_short
    services.link_household(by=grid_leader, member=member, household=_households(territory, 1)[0])
    [row] = selectors.members_with_link_counts(PartyMember.objects.filter(pk=member.pk))
    assert not row.links_short


def test_the_leader_links_from_the_member_page(client, territory, member, grid_leader):
    household = HouseholdFactory(grid=territory.grid, address="幸福花园9幢101室")
    client.force_login(grid_leader)
    page = client.get(reverse("member_detail", kwargs={"pk": member.pk}), {"q": "9幢"})
    assert [h.pk for h in page.context["candidates"]] == [household.pk]
    client.post(reverse("member_link", kwargs={"pk": member.pk}), {"household": household.pk})
    assert HouseholdLink.objects.filter(member=member, household=household).exists()


def test_a_crafted_link_to_another_grids_household_is_a_404(client, territory, member, grid_leader):
    foreign = HouseholdFactory(grid=territory.far_grid)
    client.force_login(grid_leader)
    response = client.post(
        reverse("member_link", kwargs={"pk": member.pk}), {"household": foreign.pk}
    )
    assert response.status_code == 404
    assert not HouseholdLink.objects.exists()
