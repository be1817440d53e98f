"""AB岗: a grid worker's colleague covers them while they are on leave; routed by date, so
nothing is handed back when the leave ends. Time is travelled, never slept."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from grids import services
from grids.cover import covering, standing_in
from grids.models import Cover, Leave, Post
from grids.roles import Role
from tests.factories import HouseholdFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 7)


@pytest.fixture
def cover(community_officer, own_worker, neighbour_worker):
    post = Post.objects.get(user=own_worker)
    return services.set_cover(by=community_officer, post=post, covered_by=neighbour_worker)


@pytest.fixture
def leave(cover, community_officer, own_worker):
    return services.record_leave(
        by=community_officer,
        user=own_worker,
        starts_on=DAY,
        ends_on=DAY + dt.timedelta(days=2),
        reason="年假",
    )


def test_the_colleague_stands_in_only_on_the_days_of_leave(leave, own_worker, neighbour_worker):
    assert standing_in(own_worker, on=DAY - dt.timedelta(days=1)) is None
    assert standing_in(own_worker, on=DAY) == neighbour_worker
    assert standing_in(own_worker, on=DAY + dt.timedelta(days=2)) == neighbour_worker  # inclusive
    assert standing_in(own_worker, on=DAY + dt.timedelta(days=3)) is None
    assert covering(neighbour_worker, on=DAY) == [own_worker]
    assert covering(neighbour_worker, on=DAY + dt.timedelta(days=3)) == []


def test_the_colleague_sees_and_visits_a_households_only_during_the_leave(
    client, leave, territory, neighbour_worker
):
    household = HouseholdFactory(grid=territory.grid, address="幸福路1号")
    client.force_login(neighbour_worker)
    with time_machine.travel(dt.datetime(2026, 12, 6, 10), tick=False):
        assert household.address not in client.get("/visits/?view=all").content.decode()
        assert client.get(f"/visits/household/{household.pk}/").status_code == 404
    with time_machine.travel(dt.datetime(2026, 12, 8, 10), tick=False):
        assert household.address in client.get("/visits/?view=all").content.decode()
        assert client.get(f"/visits/household/{household.pk}/").status_code == 200
    with time_machine.travel(dt.datetime(2026, 12, 10, 10), tick=False):
        # Back at work: A has their households again; nothing to hand back.
        assert household.address not in client.get("/visits/?view=all").content.decode()
        assert client.get(f"/visits/household/{household.pk}/").status_code == 404


def test_overlapping_leave_is_refused(leave, community_officer, own_worker):
    with pytest.raises(ValidationError):
        services.record_leave(
            by=community_officer,
            user=own_worker,
            starts_on=DAY + dt.timedelta(days=2),
            ends_on=DAY + dt.timedelta(days=5),
        )
    assert Leave.objects.count() == 1
    services.record_leave(
        by=community_officer,
        user=own_worker,
        starts_on=DAY + dt.timedelta(days=3),
        ends_on=DAY + dt.timedelta(days=5),
    )


def test_leave_cannot_end_before_it_starts(cover, community_officer, own_worker):
    with pytest.raises(ValidationError):
        services.record_leave(
            by=community_officer, user=own_worker, starts_on=DAY, ends_on=DAY - dt.timedelta(1)
        )


def test_a_cover_from_outside_the_community_is_refused(territory, community_officer, own_worker):
    outsider = UserFactory(username="outsider")
    PostFactory(user=outsider, area=territory.far_grid, role=Role.GRID_WORKER)
    post = Post.objects.get(user=own_worker)
    with pytest.raises(ValidationError):
        services.set_cover(by=community_officer, post=post, covered_by=outsider)
    assert not Cover.objects.exists()


def test_another_communitys_officer_cannot_set_cover_or_leave(territory, own_worker):
    other = UserFactory(username="other_officer")
    PostFactory(user=other, area=territory.other_community, role=Role.COMMUNITY_STAFF)
    post = Post.objects.get(user=own_worker)
    with pytest.raises(PermissionDenied):
        services.set_cover(by=other, post=post, covered_by=None)
    with pytest.raises(PermissionDenied):
        services.record_leave(by=other, user=own_worker, starts_on=DAY, ends_on=DAY)


def test_the_cover_page_sets_b_and_records_leave(
    client, community_officer, own_worker, neighbour_worker
):
    client.force_login(community_officer)
    post = Post.objects.get(user=own_worker)
    assert client.get("/areas/C1/cover/").status_code == 200
    response = client.post(
        "/areas/C1/cover/",
        {"action": "cover", "cover-post": post.pk, "cover-covered_by": neighbour_worker.pk},
    )
    assert response.status_code == 302
    assert Cover.objects.get(post=post).covered_by == neighbour_worker
    response = client.post(
        "/areas/C1/cover/",
        {
            "action": "leave",
            "leave-user": own_worker.pk,
            "leave-starts_on": "2026-12-07",
            "leave-ends_on": "2026-12-09",
            "leave-reason": "病假",
        },
    )
    assert response.status_code == 302
    assert Leave.objects.get(user=own_worker).recorded_by == community_officer
    page = client.get("/areas/C1/cover/").content.decode()
    assert "病假" in page and str(neighbour_worker) in page


def test_another_communitys_cover_page_is_not_found(client, territory, community_officer):
    client.force_login(community_officer)
    assert client.get("/areas/C2/cover/").status_code == 404


def test_a_grid_worker_cannot_open_the_cover_page(client, own_worker):
    client.force_login(own_worker)
    assert client.get("/areas/G1/cover/").status_code == 404


def test_the_cover_page_reads_a_constant_number_of_queries(
    client, territory, community_officer, django_assert_max_num_queries
):
    client.force_login(community_officer)
    for n in range(3):
        PostFactory(user=UserFactory(username=f"w{n}"), area=territory.grid)
    with django_assert_max_num_queries(20) as few:
        client.get("/areas/C1/cover/")
    for n in range(3, 50):
        user = UserFactory(username=f"w{n}")
        PostFactory(user=user, area=territory.neighbour_grid)
        Leave.objects.create(user=user, starts_on=DAY, ends_on=DAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/areas/C1/cover/")
