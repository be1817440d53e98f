import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from branches import selectors, services
from branches.models import Branch, BranchGrid, PartyMember
from grids.roles import Role
from tests.factories import PostFactory, area, box

pytestmark = pytest.mark.django_db


def test_a_branch_covers_grids_of_its_own_community_only(territory, community_officer_of_c1):
    with pytest.raises(ValidationError) as caught:
        services.save_branch(
            by=community_officer_of_c1,
            community=territory.community,
            code="X",
            name="越界支部",
            grids=[territory.far_grid],
        )
    assert "grids" in caught.value.message_dict
    assert not Branch.objects.exists()


def test_a_grid_belongs_to_one_branch_and_overlapping_joint_branches_are_refused(
    territory, branch, community_officer_of_c1
):
    with pytest.raises(ValidationError) as caught:
        services.save_branch(
            by=community_officer_of_c1,
            community=territory.community,
            code="C1-J",
            name="联合党支部",
            grids=[territory.grid, territory.neighbour_grid],
        )
    assert "already covered" in str(caught.value) and territory.grid.name in str(caught.value)
    assert BranchGrid.objects.count() == 1


def test_a_joint_branch_needs_neighbouring_grids(territory, community_officer_of_c1):
    # G1 and G2 share an edge: fine.
    joint = services.save_branch(
        by=community_officer_of_c1,
        community=territory.community,
        code="C1-J",
        name="联合党支部",
        grids=[territory.grid, territory.neighbour_grid],
    )
    assert joint.coverage.count() == 2
    # Two grids of C2 that do not touch are refused.
    from grids import services as grid_services

    grid_services.update_area(
        by=None, area=territory.far_grid, boundary=box(120.0, 31.1, 120.05, 31.2)
    )
    lonely = area(
        territory.other_community,
        "G5",
        "grid",
        (120.15, 31.1, 120.2, 31.2),
        grid_kind="comprehensive",
    )
    officer = PostFactory(area=territory.other_community, role=Role.COMMUNITY_STAFF).user
    with pytest.raises(ValidationError) as caught:
        services.save_branch(
            by=officer,
            community=territory.other_community,
            code="C2-J",
            name="不相邻",
            grids=[territory.far_grid, lonely],
        )
    assert "do not adjoin" in str(caught.value)


def test_a_secretary_from_another_community_cannot_be_chosen(territory, community_officer_of_c1):
    stranger = PartyMember.objects.create(name="外社区", community=territory.other_community)
    with pytest.raises(ValidationError) as caught:
        services.save_branch(
            by=community_officer_of_c1,
            community=territory.community,
            code="C1-B9",
            name="支部",
            grids=[territory.grid],
            secretary=stranger,
        )
    assert "secretary" in caught.value.message_dict


def test_the_branch_form_offers_only_this_communitys_members_and_grids(
    client, territory, community_officer_of_c1
):
    PartyMember.objects.create(name="外社区", community=territory.other_community)
    client.force_login(community_officer_of_c1)
    form = client.get(reverse("branch_create", kwargs={"code": "C1"})).context["form"]
    assert {g.code for g in form.fields["grids"].queryset} == {"G1", "G2"}
    assert not form.fields["secretary"].queryset.filter(name="外社区").exists()


def test_a_grid_worker_cannot_set_up_a_branch(territory, own_worker):
    with pytest.raises(PermissionDenied):
        services.save_branch(
            by=own_worker, community=territory.community, code="X", name="X", grids=[territory.grid]
        )


def test_branch_coverage_is_grids_with_a_branch_over_all_grids(territory, branch):
    coverage = selectors.branch_coverage(territory.district)
    assert (coverage.covered, coverage.grids) == (1, 4)
    assert coverage.share == 0.25
    assert {g.code for g in coverage.uncovered} == {"G2", "G3", "G4"}
    street = selectors.branch_coverage(territory.other_street)
    assert (street.covered, street.grids, street.share) == (0, 1, 0.0)


def test_coverage_of_an_area_without_grids_is_undefined_not_an_error(territory):
    from grids.models import Area

    empty = area(territory.district, "S3", "street", None)
    coverage = selectors.branch_coverage(Area.objects.get(pk=empty.pk))
    assert (coverage.grids, coverage.share) == (0, None)


def test_one_shoulder_is_flagged_when_the_secretary_is_not_the_grid_leader(
    territory, branch, member
):
    [flagged] = selectors.branches_under(territory.community, branch_user(territory))
    assert flagged.one_shoulder
    branch.secretary = member
    branch.save()
    [flagged] = selectors.branches_under(territory.community, branch_user(territory))
    assert not flagged.one_shoulder


def branch_user(territory):
    return PostFactory(area=territory.district, role=Role.DISTRICT_STAFF).user


def test_the_branch_page_lists_members_with_masked_phones(client, territory, branch, member):
    client.force_login(branch_user(territory))
    body = client.get(reverse("branch_detail", kwargs={"code": branch.code})).content.decode()
    assert member.name in body and member.masked_phone in body and member.phone not in body


def test_a_new_branch_through_the_page(client, territory, community_officer_of_c1):
    client.force_login(community_officer_of_c1)
    response = client.post(
        reverse("branch_create", kwargs={"code": "C1"}),
        {
            "code": "C1-B02",
            "name": "幸福第二网格党支部",
            "grids": [territory.neighbour_grid.pk],
            "founded_on": "2024-07-01",
        },
    )
    assert response.status_code == 302
    assert Branch.objects.get(code="C1-B02").coverage.get().grid == territory.neighbour_grid


def test_an_in_service_member_needs_a_work_unit(territory):
    member = PartyMember(name="无单位", community=territory.community, kind="in_service")
    with pytest.raises(ValidationError) as caught:
        member.full_clean()
    assert "work_unit" in caught.value.message_dict


def test_a_member_phone_is_normalised_and_validated(territory, community_officer_of_c1):
    member = services.save_member(
        by=community_officer_of_c1,
        community=territory.community,
        name="新党员",
        phone="+86 139-1234-5678",
    )
    assert member.phone == "13912345678"
    with pytest.raises(ValidationError):
        services.save_member(
            by=community_officer_of_c1, community=territory.community, name="新党员", phone="123"
        )


def test_party_groups_take_micro_grids_of_the_branch_only(territory, branch, member):
    officer = branch_user_of_community(territory)
    group = services.save_group(
        by=officer, branch=branch, name="第一党小组", leader=member, micro_grids=[territory.micro]
    )
    assert list(group.micro_grids.all()) == [territory.micro]
    foreign = area(territory.far_grid, "G3-M1", "micro_grid", None)
    with pytest.raises(ValidationError):
        services.save_group(
            by=officer, branch=branch, name="第二党小组", leader=None, micro_grids=[foreign]
        )


def branch_user_of_community(territory):
    return PostFactory(area=territory.community, role=Role.COMMUNITY_STAFF).user


def test_founded_dates_and_queries_stay_constant_on_the_list(
    client, territory, django_assert_max_num_queries
):
    officer = branch_user_of_community(territory)
    client.force_login(officer)
    url = reverse("area_branches", kwargs={"code": "C1"})

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        # warm: on a shared cache posts and the bell's count are cached (core/versioned.py)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    services.save_branch(
        by=officer,
        community=territory.community,
        code="B1",
        name="一",
        grids=[territory.grid],
        founded_on=dt.date(2020, 1, 1),
    )
    one = count()
    services.save_branch(
        by=officer,
        community=territory.community,
        code="B2",
        name="二",
        grids=[territory.neighbour_grid],
    )
    for n in range(48):
        PartyMember.objects.create(
            name=f"党员{n}", community=territory.community, branch=Branch.objects.get(code="B2")
        )
    assert count() == one


@pytest.mark.parametrize("url_name", ["branch_detail", "area_registrations", "area_links"])
def test_branch_pages_run_the_same_queries_for_one_or_fifty_rows(
    client, territory, branch, url_name
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from branches.models import HouseholdLink
    from tests.factories import HouseholdFactory

    officer = branch_user_of_community(territory)
    client.force_login(officer)
    kwargs = {"code": branch.code} if url_name == "branch_detail" else {"code": "C1"}
    url = reverse(url_name, kwargs=kwargs)

    def add(n):
        for i in range(n):
            member = PartyMember.objects.create(
                name=f"党员{i}", community=territory.community, branch=branch
            )
            HouseholdLink.objects.create(
                member=member, household=HouseholdFactory(grid=territory.grid)
            )
            services.register_in_service_member(
                by=None,
                community=territory.community,
                name=f"在职{i}",
                phone=f"137{len(PartyMember.objects.all()):08d}",
                work_unit="单位",
                posts=["health"],
            )

    def count():
        # warm: on a shared cache posts and the bell's count are cached (core/versioned.py)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(1)
    one = count()
    add(49)
    assert count() == one
