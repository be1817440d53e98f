"""A user's posts (what they may see) kept in the shared cache: every change is seen at once.

On Redis every page takes the user's posts from the cache instead of the database. These
tests try what an attacker or a slow race would: keep using a post that has ended, an area
that has moved, an entry written under an old version.
"""

import datetime as dt

import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from core import versioned
from grids import scope, services
from grids.models import Post
from grids.roles import Role
from grids.scope import SCOPE_VERSION, active_posts, posts_key, scope_paths
from notifications import bell
from tests.conftest import record_calls
from tests.factories import PostFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def database_reads(monkeypatch):
    """The users whose posts were read from the database."""
    return record_calls(monkeypatch, scope, "_posts_from_database", lambda user, today: user.pk)


def test_a_warm_page_takes_the_posts_from_the_shared_cache(
    shared_cache, client, community_officer, territory, database_reads
):
    client.force_login(community_officer)
    url = reverse("area_detail", kwargs={"code": territory.grid.code})
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert database_reads == [community_officer.pk]


def test_an_ended_post_closes_access_on_the_next_request(
    shared_cache, client, community_officer, district_officer, territory
):
    # Another post elsewhere keeps them signed in (ending the last one signs out).
    PostFactory(user=community_officer, area=territory.other_street_grid, role=Role.VOLUNTEER)
    client.force_login(community_officer)
    url = reverse("area_detail", kwargs={"code": territory.grid.code})
    assert client.get(url).status_code == 200
    post = Post.objects.get(user=community_officer, area=territory.community)
    services.end_post(by=district_officer, post=post)
    assert client.get(url).status_code == 404


def test_a_new_post_opens_access_on_the_next_request(
    shared_cache, client, own_worker, district_officer, territory
):
    client.force_login(own_worker)
    url = reverse("area_detail", kwargs={"code": territory.neighbour_grid.code})
    assert client.get(url).status_code == 404
    services.appoint(
        by=district_officer,
        user=own_worker,
        area=territory.neighbour_grid,
        role=Role.GRID_WORKER,
    )
    assert client.get(url).status_code == 200


def test_a_post_ending_tomorrow_is_gone_tomorrow_though_cached_today(shared_cache, territory):
    user = UserFactory()
    today = timezone.localdate()
    PostFactory(
        user=user, area=territory.grid, role=Role.GRID_WORKER, ended_on=today + dt.timedelta(1)
    )
    assert len(active_posts(user)) == 1
    user = type(user).objects.get(pk=user.pk)  # the next request
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        assert active_posts(user) == []


def test_a_moved_area_takes_its_people_and_its_access_along(
    shared_cache, client, street_officer, other_street_officer, district_officer, territory
):
    # No boundary, so the move is not refused for lying outside its new street.
    moved = services.create_area(
        by=district_officer, parent=territory.street, code="C9", name="新社区", level="community"
    )
    officer = UserFactory(username="c9_officer")
    PostFactory(user=officer, area=moved, role=Role.COMMUNITY_STAFF)
    url = reverse("area_detail", kwargs={"code": moved.code})
    pages = {}
    for user in (officer, street_officer, other_street_officer):
        client.force_login(user)
        pages[user.username] = client.get(url).status_code
    assert pages == {"c9_officer": 200, "street_officer": 200, "other_street_officer": 404}

    services.move_area(by=district_officer, area=moved, new_parent=territory.other_street)

    for user in (officer, street_officer, other_street_officer):
        client.force_login(user)
        pages[user.username] = client.get(url).status_code
    assert pages == {"c9_officer": 200, "street_officer": 404, "other_street_officer": 200}


def test_posts_cached_under_an_older_version_are_never_believed(
    shared_cache, own_worker, territory
):
    """A request that read the posts just before a change and cached them just after."""
    token = versioned.current(SCOPE_VERSION)
    today = timezone.localdate().isoformat()
    at_district = PostFactory.build(
        user=own_worker, area=territory.district, role=Role.DISTRICT_STAFF
    )
    shared_cache.set(posts_key(own_worker), (token, today, [at_district]))
    assert scope_paths(type(own_worker).objects.get(pk=own_worker.pk)) == [territory.district.path]

    versioned.bump([SCOPE_VERSION])  # what any post or area change does

    fresh = type(own_worker).objects.get(pk=own_worker.pk)
    assert scope_paths(fresh) == [territory.grid.path]


def test_a_lost_version_is_made_anew_and_old_entries_stay_unbelieved(
    shared_cache, own_worker, territory
):
    assert scope_paths(own_worker) == [territory.grid.path]
    shared_cache.delete(SCOPE_VERSION)  # Redis restarted or evicted it
    stale = PostFactory.build(user=own_worker, area=territory.district, role=Role.DISTRICT_STAFF)
    shared_cache.set(
        posts_key(own_worker), ("an-old-token", timezone.localdate().isoformat(), [stale])
    )
    fresh = type(own_worker).objects.get(pk=own_worker.pk)
    assert scope_paths(fresh) == [territory.grid.path]


def test_without_a_shared_cache_posts_come_from_the_database_each_request(
    settings, own_worker, database_reads
):
    settings.SHARED_CACHE = False
    active_posts(own_worker)
    active_posts(type(own_worker).objects.get(pk=own_worker.pk))
    assert database_reads == [own_worker.pk, own_worker.pk]


def test_the_user_their_posts_and_their_unread_count_come_in_one_round_trip(
    shared_cache, client, own_worker, territory, database_reads, monkeypatch
):
    client.force_login(own_worker)
    url = reverse("my_tasks")
    assert client.get(url).status_code == 200
    reads = record_calls(monkeypatch, bell, "_from_database", lambda user: user.pk)
    batches = record_calls(monkeypatch, type(caches["default"]), "get_many", lambda c, k: k)
    assert client.get(url).status_code == 200
    assert database_reads == [own_worker.pk] and reads == []
    with_posts = [keys for keys in batches if posts_key(own_worker) in keys]
    assert len(with_posts) == 1
    assert set(bell.cache_keys(own_worker)) <= set(with_posts[0])
    assert f"accounts:user:{own_worker.pk}" in with_posts[0]


def test_posts_a_request_changed_are_read_afresh_by_that_request(
    shared_cache, own_worker, district_officer, territory
):
    active_posts(own_worker)  # kept in the cache under the current version
    delattr(own_worker, scope._CACHE_ATTR)
    # Read with the user at the start of a request, as every signed-in request does.
    versioned.take_found(own_worker, shared_cache.get_many(scope.posts_cache_keys(own_worker)))
    assert versioned.found_on(own_worker) is not None
    services.end_post(by=district_officer, post=Post.objects.get(user=own_worker))
    assert versioned.found_on(own_worker) is None
    assert active_posts(own_worker) == []
