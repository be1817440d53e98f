"""AB岗: a grid worker's colleague covers them while they are on leave; routed by date, so
nothing is handed back when the leave ends. Time is travelled, never slept."""

import datetime as dt

import pytest
import time_machine
from auditlog.models import LogEntry
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
    # Signed in each day: a session lasts 12 hours at most (accounts/timeouts.py).
    with time_machine.travel(dt.datetime(2026, 12, 6, 10), tick=False):
        client.force_login(neighbour_worker)
        assert household.address not in client.get("/visits/?view=all").content.decode()
        assert client.get(f"/visits/household/{household.pk}/").status_code == 404
    with time_machine.travel(dt.datetime(2026, 12, 8, 10), tick=False):
        client.force_login(neighbour_worker)
        assert household.address in client.get("/visits/?view=all").content.decode()
        assert client.get(f"/visits/household/{household.pk}/").status_code == 200
    with time_machine.travel(dt.datetime(2026, 12, 10, 10), tick=False):
        client.force_login(neighbour_worker)
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


def _workers_on_leave(territory, community_officer, start, count):
    """``count`` grid workers of G2 on leave today, each covered by the next one."""
    users = []
    for n in range(start, start + count):
        user = UserFactory(username=f"w{n}")
        post = PostFactory(user=user, area=territory.neighbour_grid, role=Role.GRID_WORKER)
        Leave.objects.create(user=user, starts_on=DAY, ends_on=DAY + dt.timedelta(days=1))
        users.append((user, post))
    return users


@time_machine.travel(dt.datetime(2026, 12, 7, 10), tick=False)
def test_the_cover_page_reads_a_constant_number_of_queries(
    client, territory, community_officer, own_worker, django_assert_max_num_queries
):
    client.force_login(community_officer)
    _workers_on_leave(territory, community_officer, 0, 1)
    with django_assert_max_num_queries(20) as few:
        assert client.get("/areas/C1/cover/").status_code == 200
    for user, post in _workers_on_leave(territory, community_officer, 1, 49):
        Cover.objects.create(post=post, covered_by=own_worker)
        Leave.objects.create(
            user=user, starts_on=DAY + dt.timedelta(days=5), ends_on=DAY + dt.timedelta(days=6)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/areas/C1/cover/").content.decode()
    assert page.count("/cover/leave/") >= 2 * 99  # change and end, per leave


@time_machine.travel(dt.datetime(2026, 12, 7, 10), tick=False)
def test_the_cover_page_lists_leave_under_way_first_with_who_covers(
    client, leave, community_officer, own_worker, neighbour_worker
):
    client.force_login(community_officer)
    page = client.get("/areas/C1/cover/").content.decode()
    on_leave = page.index("On leave today")
    assert on_leave < page.index("年假") < page.index("Who covers whom")
    assert str(neighbour_worker) in page[on_leave : page.index("Who covers whom")]
    assert "Back today" in page


# --- Changing and ending leave ------------------------------------------------------------------


def test_a_coming_leave_can_be_moved_and_cancelled(leave, community_officer, own_worker):
    with time_machine.travel(dt.datetime(2026, 12, 1, 10), tick=False):
        moved = services.update_leave(
            by=community_officer,
            leave=leave,
            starts_on=DAY + dt.timedelta(days=1),
            ends_on=DAY + dt.timedelta(days=4),
            reason="调休",
        )
        assert (moved.starts_on, moved.ends_on, moved.reason) == (
            DAY + dt.timedelta(days=1),
            DAY + dt.timedelta(days=4),
            "调休",
        )
        assert services.end_leave(by=community_officer, leave=moved) is None
    assert not Leave.objects.exists()


def test_a_leave_under_way_keeps_its_first_day_and_ends_when_the_person_is_back(
    leave, community_officer, own_worker, neighbour_worker
):
    with time_machine.travel(dt.datetime(2026, 12, 8, 10), tick=False):
        with pytest.raises(ValidationError):
            services.update_leave(
                by=community_officer,
                leave=leave,
                starts_on=DAY + dt.timedelta(days=1),
                ends_on=DAY + dt.timedelta(days=2),
            )
        with pytest.raises(ValidationError):  # not into the past
            services.update_leave(by=community_officer, leave=leave, starts_on=DAY, ends_on=DAY)
        longer = services.update_leave(
            by=community_officer, leave=leave, starts_on=DAY, ends_on=DAY + dt.timedelta(days=5)
        )
        assert longer.ends_on == DAY + dt.timedelta(days=5)
        assert standing_in(own_worker) == neighbour_worker
        back = services.end_leave(by=community_officer, leave=longer)
        assert back.ends_on == DAY  # yesterday: at work today
        assert standing_in(own_worker) is None
        assert covering(neighbour_worker) == []


def test_a_leave_cannot_be_moved_onto_another_or_end_before_it_starts(
    leave, community_officer, own_worker
):
    later = services.record_leave(
        by=community_officer,
        user=own_worker,
        starts_on=DAY + dt.timedelta(days=10),
        ends_on=DAY + dt.timedelta(days=11),
    )
    with time_machine.travel(dt.datetime(2026, 12, 1, 10), tick=False):
        for starts_on, ends_on in [
            (DAY + dt.timedelta(days=2), DAY + dt.timedelta(days=10)),  # overlaps the first
            (DAY + dt.timedelta(days=12), DAY + dt.timedelta(days=11)),  # ends before it starts
        ]:
            with pytest.raises(ValidationError):
                services.update_leave(
                    by=community_officer, leave=later, starts_on=starts_on, ends_on=ends_on
                )
    later.refresh_from_db()
    assert (later.starts_on, later.ends_on) == (
        DAY + dt.timedelta(days=10),
        DAY + dt.timedelta(days=11),
    )


def test_a_leave_that_is_over_stays_as_it_was(leave, community_officer):
    with time_machine.travel(dt.datetime(2026, 12, 20, 10), tick=False):
        with pytest.raises(ValidationError):
            services.end_leave(by=community_officer, leave=leave)
        with pytest.raises(ValidationError):
            services.update_leave(
                by=community_officer,
                leave=leave,
                starts_on=DAY,
                ends_on=DAY + dt.timedelta(days=20),
            )


def test_another_communitys_officer_cannot_change_or_end_leave(territory, leave):
    other = UserFactory(username="other_officer")
    PostFactory(user=other, area=territory.other_community, role=Role.COMMUNITY_STAFF)
    with time_machine.travel(dt.datetime(2026, 12, 1, 10), tick=False):
        with pytest.raises(PermissionDenied):
            services.end_leave(by=other, leave=leave)
        with pytest.raises(PermissionDenied):
            services.update_leave(by=other, leave=leave, starts_on=DAY, ends_on=DAY)
    assert Leave.objects.filter(pk=leave.pk, ends_on=DAY + dt.timedelta(days=2)).exists()


def test_leave_is_changed_and_ended_from_the_cover_page_with_field_errors(
    client, leave, community_officer
):
    client.force_login(community_officer)
    url = f"/areas/C1/cover/leave/{leave.pk}/"
    with time_machine.travel(dt.datetime(2026, 12, 1, 10), tick=False):
        assert client.get(url).status_code == 200
        bad = client.post(url, {"starts_on": "2026-12-09", "ends_on": "2026-12-08"})
        assert bad.status_code == 200 and "cannot end before it starts" in bad.content.decode()
        ok = client.post(url, {"starts_on": "2026-12-08", "ends_on": "2026-12-09"})
        assert ok.status_code == 302
        leave.refresh_from_db()
        assert (leave.starts_on, leave.ends_on) == (dt.date(2026, 12, 8), dt.date(2026, 12, 9))
        assert client.post(url + "end/").status_code == 302
    assert not Leave.objects.exists()
    assert LogEntry.objects.get_for_model(Leave).filter(action=LogEntry.Action.DELETE).exists()


def test_a_leave_of_another_community_is_not_found_on_the_cover_page(
    client, territory, leave, community_officer
):
    client.force_login(community_officer)
    with time_machine.travel(dt.datetime(2026, 12, 1, 10), tick=False):
        assert client.get(f"/areas/C2/cover/leave/{leave.pk}/").status_code == 404
