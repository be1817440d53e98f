"""The dashboard's cached body on a shared cache: its area is taken from the cache too, and
the user's access to it is checked on every request against their current posts."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import rollup
from grids import services
from grids.models import Post
from grids.scope import SCOPE_VERSION

pytestmark = [pytest.mark.django_db, pytest.mark.redis]
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _midday():
    """Noon on a fixed day, the clock running. The cached body is keyed by the period's dates
    (up to today) and the user's cached posts by the day, so a run that crossed local
    midnight between warming the page and reading it again read the database (and
    ``test_a_warm_dashboard_reads_nothing_from_the_database`` failed) on the real clock."""
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def people(street_officer, district_officer, other_street_officer, own_worker, neighbour_worker):
    """Everyone, posted before the page is cached (a new post renews the scope version,
    which would make the cached body be read again, not test it)."""


@pytest.fixture
def warm(shared_cache, client, people, street_officer, territory):
    """The street's dashboard, rendered once and cached."""
    rollup.remember_refresh(NOW)
    url = reverse("dashboard", kwargs={"code": territory.street.code})
    client.force_login(street_officer)
    assert client.get(url).status_code == 200
    return url


@pytest.mark.parametrize(
    "name, status",
    [
        ("street_officer", 200),
        ("district_officer", 200),
        ("other_street_officer", 404),
        ("own_worker", 404),
        ("neighbour_worker", 404),
    ],
)
def test_a_cached_dashboard_is_a_404_to_whoever_may_not_see_its_area(
    warm, shared_cache, client, request, name, status
):
    token = shared_cache.get(SCOPE_VERSION)
    client.force_login(request.getfixturevalue(name))
    assert client.get(warm).status_code == status
    assert shared_cache.get(SCOPE_VERSION) == token  # the cached area was the one checked


def test_an_ended_post_closes_a_cached_dashboard_at_once(
    warm, client, street_officer, district_officer
):
    services.end_post(by=district_officer, post=Post.objects.get(user=street_officer))
    client.force_login(street_officer)
    assert client.get(warm).status_code == 404


def test_a_warm_dashboard_reads_nothing_from_the_database(warm, client, street_officer):
    """The session, the user, their posts and unread count, the body: all from Redis."""
    client.get(warm)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(warm)
    assert response.status_code == 200
    tables = [q["sql"].split(" FROM ")[1].split()[0] for q in queries.captured_queries]
    assert not set(tables) - {'"django_session"'}, tables


def test_a_territory_change_renders_the_body_again(warm, client, district_officer, territory):
    services.update_area(by=district_officer, area=territory.community, name="改名社区")
    assert "改名社区" in client.get(warm).content.decode()
