"""The command-centre screen: its page, the JSON it polls (the area's and its children's
figures from the rollups, the latest escalations), who may read it and what it costs; and the
dashboard's drill-down table placed before the long list of figures."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards import rollup
from dashboards.models import AreaDay
from tests.factories import area
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _midday():
    with time_machine.travel(NOW, tick=True):
        yield


def _wall_json(client, code, **query):
    return client.get(reverse("dashboard_wall_data", kwargs={"code": code}), query)


def test_the_wall_shows_the_street_and_each_community_with_todays_new_and_the_escalations(
    client, territory, street_officer, matter
):
    today = timezone.localdate()
    made = services.submit(
        channel=Channel.QR,
        matter=matter,
        description="楼道堆物",
        reporter_phone="13812345678",
        grid=territory.grid,
    )
    Ticket.objects.filter(pk=made.pk).update(escalated_at=timezone.now(), escalation_level=1)
    rollup.rebuild(today, today)
    client.force_login(street_officer)
    data = _wall_json(client, territory.street.code, map="1").json()
    assert data["figures"]["received_today"] == 1
    assert data["figures"]["open_now"] == 1
    by_code = {row["code"]: row["values"] for row in data["areas"]}
    assert by_code[territory.community.code]["received_today"] == 1
    assert by_code[territory.community.code]["open_now"] == 1
    assert set(by_code) == {territory.community.code, "C2"}
    assert len(data["map"]["features"]) == 2
    [escalation] = data["escalations"]
    assert escalation["code"] == made.short_code
    assert escalation["area"] == territory.grid.name
    # Only what a room may see: no resident's phone or words.
    assert "13812345678" not in str(data) and "楼道堆物" not in str(data)
    # The polls after the first leave the boundaries out.
    assert "map" not in _wall_json(client, territory.street.code).json()


@pytest.mark.parametrize("name, status", [("street_officer", 200), ("other_street_officer", 404)])
def test_the_wall_and_its_data_are_a_404_for_another_streets_area(
    client, territory, request, name, status
):
    client.force_login(request.getfixturevalue(name))
    code = territory.street.code
    assert _wall_json(client, code).status_code == status
    assert client.get(reverse("dashboard_wall", kwargs={"code": code})).status_code == status


def _street_with(parent, n: int, prefix: str):
    # No boundaries: they would have to fit the district's, and they cost no query.
    street = area(parent, prefix, "street", None)
    for i in range(n):
        area(street, f"{prefix}-C{i:02}", "community", None)
    return street


def test_the_wall_data_reads_as_many_queries_for_one_area_below_as_for_fifty(
    client, territory, district_officer, django_assert_max_num_queries
):
    one, fifty = (
        _street_with(territory.district, 1, "W1"),
        _street_with(territory.district, 50, "W2"),
    )
    AreaDay.objects.create(area=fifty, day=timezone.localdate(), received=3, open_now=3)
    client.force_login(district_officer)
    _wall_json(client, territory.district.code)  # the session and the user's posts, once
    counts = {}
    for street in (one, fifty):
        with CaptureQueriesContext(connection) as queries:
            response = _wall_json(client, street.code, map="1")
        assert response.status_code == 200
        counts[street.code] = len(queries)
    assert counts["W1"] == counts["W2"], counts
    assert len(response.json()["areas"]) == 50
    with django_assert_max_num_queries(counts["W2"]):
        _wall_json(client, fifty.code)


def test_the_wall_data_is_cached_until_the_rollups_are_refreshed(client, territory, street_officer):
    rollup.remember_refresh(NOW)
    client.force_login(street_officer)
    first = _wall_json(client, territory.street.code).json()
    AreaDay.objects.create(area=territory.street, day=timezone.localdate(), open_now=7)
    assert _wall_json(client, territory.street.code).json() == first
    rollup.remember_refresh(NOW + dt.timedelta(minutes=5))
    assert _wall_json(client, territory.street.code).json()["figures"]["open_now"] == 7


def test_the_wall_is_in_chinese_unless_the_user_chose_a_language(client, territory, street_officer):
    client.force_login(street_officer)
    url = reverse("dashboard_wall", kwargs={"code": territory.street.code})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert '<html lang="zh-hans"' in page
    assert 'id="wall-map"' in page and 'data-interval="30"' in page
    assert "echarts.custom.min.js" in page
    assert 'data-interval="1"' in client.get(url, {"every": "1"}).content.decode()
    street_officer.language = "en"
    street_officer.save(update_fields=["language"])
    assert '<html lang="en"' in client.get(url).content.decode()


def test_the_dashboard_puts_the_areas_below_before_the_long_list_of_figures(
    client, territory, district_officer
):
    client.force_login(district_officer)
    page = client.get(reverse("dashboard", kwargs={"code": territory.district.code}))
    html = page.content.decode()
    areas = html.index('id="dash-areas"')
    assert html.index('data-figure="received"') < areas < html.index('data-figure="open_now"')
    assert areas < html.index('data-figure="staffing_rate"') < html.index('id="dash-charts"')
    assert reverse("dashboard_wall", kwargs={"code": territory.district.code}) in html
    # ECharts is not on the page: the charts load it when they come near the screen.
    assert "echarts" not in html.split('id="dash-charts"')[0]
    assert "echarts.min.js" not in html


def test_the_wall_data_is_read_from_the_database_when_redis_is_down(
    settings, client, territory, street_officer
):
    client.force_login(street_officer)
    AreaDay.objects.create(area=territory.street, day=timezone.localdate(), open_now=4)
    settings.CACHES = {
        "default": {
            "BACKEND": settings.REDIS_CACHE_BACKEND,
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    response = _wall_json(client, territory.street.code)
    assert response.status_code == 200
    assert response.json()["figures"]["open_now"] == 4
