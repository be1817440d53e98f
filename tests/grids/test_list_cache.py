"""The household and resident lists are kept per area, address and version of the register
(grids.list_cache): warm they are two queries (the area, its version); every change a list
shows moves the version in the writing transaction, whoever writes it and however (a
service, a raw update, a bulk insert, a deletion); what no list shows moves nothing; access
is checked on every request, kept list or not."""

from __future__ import annotations

import re

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids import list_cache, services, tallies
from grids.models import GridTally, Household, RegisterMark, Resident, ResidentCare
from tests.conftest import sql_of
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

# Where a response puts its own CSRF token: the sign-out form and the header htmx sends.
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


def _list(client, name: str, code: str, query: str = "") -> str:
    response = client.get(reverse(name, kwargs={"code": code}) + query)
    assert response.status_code == 200
    return response.content.decode()


def _households(client, code="G1", query=""):
    return _list(client, "household_list", code, query)


def _residents(client, code="G1", query=""):
    return _list(client, "resident_list", code, query)


def _queries(client, name: str, code: str, query: str = "") -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        _list(client, name, code, query)
    return [sql_of(q) for q in ctx.captured_queries]


@pytest.mark.parametrize("name", ["household_list", "resident_list"])
@pytest.mark.parametrize("code", ["G1", "C1", "D"])
def test_a_warm_list_is_the_area_and_its_version_whatever_the_rows(
    name, code, shared_cache, territory, persona, client
):
    persona("district_officer")
    colds = []
    for n in (1, 50):
        while Household.objects.count() < n:
            ResidentFactory(household=HouseholdFactory(grid=territory.grid))
        _list(client, name, code)  # the viewer's posts and bell are cached now
        cache.delete_pattern("kept:grids:list*")
        colds.append(_queries(client, name, code))
        first = _list(client, name, code)
        warm = _queries(client, name, code)
        # The area, its ancestors for the breadcrumbs (none above the district), the version.
        assert len(warm) == (2 if code == "D" else 3), "\n".join(warm)
        assert any("grids_registermark" in sql for sql in warm)
        assert TOKEN.sub("", _list(client, name, code)) == TOKEN.sub("", first)
    assert len(colds[0]) == len(colds[1]), "\n\n".join("\n".join(c) for c in colds)


def test_a_household_added_shows_at_once_on_every_level(
    shared_cache, territory, persona, client, own_worker
):
    persona("district_officer")
    for code in ("G1", "C1", "S1", "D"):
        assert "幸福花园99幢" not in _households(client, code)
    services.create_household(by=own_worker, grid=territory.grid, address="幸福花园99幢0101室")
    for code in ("G1", "C1", "S1", "D"):
        assert "幸福花园99幢0101室" in _households(client, code)


def test_writes_around_the_services_show_too(shared_cache, territory, persona, client):
    persona("community_officer")
    household = HouseholdFactory(grid=territory.grid, address="和谐小区1幢0101室")
    resident = ResidentFactory(household=household, name="张三丰")
    assert "和谐小区1幢0101室" in _households(client, "C1")
    assert "张三丰" in _residents(client, "C1")
    assert "张三丰" not in _residents(client, "C1", "?care=elderly_alone")

    Household.objects.filter(pk=household.pk).update(address="和谐小区1幢0202室")
    assert "和谐小区1幢0202室" in _households(client, "C1")

    Resident.objects.filter(pk=resident.pk).update(name="张无忌")
    assert "张无忌" in _residents(client, "C1") and "张三丰" not in _residents(client, "C1")

    ResidentCare.objects.bulk_create([ResidentCare(resident=resident, category="elderly_alone")])
    assert "张无忌" in _residents(client, "C1", "?care=elderly_alone")

    ResidentCare.objects.filter(resident=resident).delete()
    assert "张无忌" not in _residents(client, "C1", "?care=elderly_alone")

    Resident.objects.filter(pk=resident.pk).delete()
    assert "张无忌" not in _residents(client, "C1")


def test_a_household_moved_to_another_grid_leaves_the_first_grids_list(
    shared_cache, territory, persona, client
):
    persona("community_officer")
    household = HouseholdFactory(grid=territory.grid, address="搬迁楼1幢0101室")
    assert "搬迁楼1幢0101室" in _households(client, "G1")
    assert "搬迁楼1幢0101室" not in _households(client, "G2")
    Household.objects.filter(pk=household.pk).update(grid=territory.neighbour_grid)
    assert "搬迁楼1幢0101室" not in _households(client, "G1")
    assert "搬迁楼1幢0101室" in _households(client, "G2")


def test_a_logged_visit_or_a_recount_of_the_same_numbers_moves_no_version(territory):
    household = HouseholdFactory(grid=territory.grid)
    ResidentFactory(household=household)
    tallies.refresh_tallies()
    before = list_cache.version(territory.district)

    # What every logged visit writes, and the due date a plan moves: no list shows them.
    Household.objects.filter(pk=household.pk).update(
        last_visited_at=timezone.now(), visit_due_on=timezone.localdate()
    )
    tallies.refresh_tallies()  # the 15-minute recount, finding the same numbers
    assert list_cache.version(territory.district) == before

    GridTally.objects.filter(grid=territory.grid).update(households=99)
    assert list_cache.version(territory.district) != before


def test_a_change_moves_the_version_of_its_grid_and_above_only(territory):
    HouseholdFactory(grid=territory.grid)
    areas = [territory.grid, territory.micro, territory.community, territory.district]
    others = [territory.neighbour_grid, territory.other_community, territory.other_street]
    before = {area.code: list_cache.version(area) for area in areas + others}
    HouseholdFactory(grid=territory.grid)
    for area in areas:
        assert list_cache.version(area) != before[area.code], area.code
    for area in others:
        assert list_cache.version(area) == before[area.code], area.code


def test_the_fold_keeps_a_row_per_grid_and_never_gives_back_an_old_version(
    shared_cache, territory, persona, client
):
    persona("district_officer")
    for _ in range(3):
        HouseholdFactory(grid=territory.grid)
    assert "邻居家园1幢0101室" not in _households(client, "D")
    HouseholdFactory(grid=territory.neighbour_grid, address="邻居家园1幢0101室")
    HouseholdFactory(grid=territory.far_grid)  # one mark: nothing to fold
    seen = {list_cache.version(territory.district)}
    assert list_cache.fold() == 1
    assert RegisterMark.objects.filter(grid=territory.grid).count() == 1
    assert list_cache.version(territory.district) not in seen
    seen.add(list_cache.version(territory.district))
    assert list_cache.fold() == 0  # nothing left to fold: the version stays
    assert list_cache.version(territory.district) in seen
    assert "邻居家园1幢0101室" in _households(client, "D")


def test_a_bulk_load_marks_nothing(territory):
    before = RegisterMark.objects.count()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL grid.bulk_load = on")
        HouseholdFactory(grid=territory.grid)
    assert RegisterMark.objects.count() == before


def test_a_kept_list_is_no_way_into_another_grid(shared_cache, territory, persona, client):
    persona("own_worker")
    HouseholdFactory(grid=territory.neighbour_grid, address="邻居家园1幢0101室")
    persona("community_officer")
    assert "邻居家园1幢0101室" in _households(client, "G2")  # kept now
    persona("own_worker")
    for name in ("household_list", "resident_list"):
        assert client.get(reverse(name, kwargs={"code": "G2"})).status_code == 404


def test_what_the_viewer_may_do_is_not_handed_to_another(shared_cache, territory, persona, client):
    HouseholdFactory(grid=territory.grid)
    add = reverse("household_create", kwargs={"code": "G1"})
    persona("own_worker")
    assert add in _households(client)
    persona("district_officer")
    assert add not in _households(client)


def test_lists_render_without_a_shared_cache(settings, territory, persona, client):
    settings.SHARED_CACHE = False
    persona("community_officer")
    HouseholdFactory(grid=territory.grid, address="无缓存小区1幢0101室")
    assert "无缓存小区1幢0101室" in _households(client, "C1")
    assert not any("grids_registermark" in sql for sql in _queries(client, "household_list", "C1"))


@pytest.mark.django_db(transaction=True)
def test_two_writers_in_one_grid_never_wait_for_each_other(territory):
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )
    try:
        with other.transaction():
            # An import in the same grid, its transaction still open.
            other.execute(
                "INSERT INTO grids_household (version, grid_id, address, note, number,"
                " created_at, updated_at)"
                " VALUES (1, %s, '导入小区1幢0101室', '', '', now(), now())",
                [territory.grid.pk],
            )
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                HouseholdFactory(grid=territory.grid, address="手工录入1幢0101室")
                cursor.execute("SET lock_timeout = 0")
    finally:
        other.close()
    assert RegisterMark.objects.filter(grid=territory.grid).count() >= 2
