"""Read-only work on a real streaming replica (core/replica.py, core/db_router.py).

The replica is this machine's PostgreSQL copied by scripts/replica.sh; lag is made on purpose
by pausing its replay, so what the primary commits meanwhile exists there only. A page that
shows the old value was served by the replica; one that shows the new value, by the primary.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.db_router import ReplicaRouter
from core.replica import PIN_COOKIE, reads_from_replica
from grids.models import Area


def on_the_replica(test):
    """Committed rows only (a test's own transaction would never reach the replica), on both
    aliases, skipped with a reason where no replica runs (a failure under CI)."""
    databases = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
    return pytest.mark.replica(databases(test))


def _title_of_dashboard_export(client, area) -> str:
    from openpyxl import load_workbook

    response = client.get(reverse("dashboard_export", args=[area.code]))
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content), read_only=True)
    return next(book.worksheets[0].iter_rows(values_only=True))[0]


def _names_in_household_export(client, area) -> list[str]:
    response = client.get(reverse("household_export", args=[area.code]))
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    return [line.split(",")[4] for line in lines[1:]]


def _rename(area, name: str) -> None:
    Area.objects.filter(pk=area.pk).update(name=name)


@on_the_replica
def test_the_dashboard_export_is_read_from_the_replica(
    replica, client, territory, district_officer
):
    client.force_login(district_officer)
    with replica.paused():
        _rename(territory.district, "改名后的示范区")
        lagging = _title_of_dashboard_export(client, territory.district)
    replica.caught_up()
    caught_up = _title_of_dashboard_export(client, territory.district)
    assert lagging.startswith("示范区")  # the replica had not replayed the rename
    assert caught_up.startswith("改名后的示范区")


@on_the_replica
def test_a_user_who_just_wrote_reads_the_primary_while_the_replica_lags(
    replica, client, territory, household, community_officer, street_officer, time_machine
):
    client.force_login(community_officer)
    other = Client()
    other.force_login(street_officer)
    community = territory.community
    with replica.paused():
        added = client.post(
            reverse("resident_create", kwargs={"pk": household.pk}),
            {"name": "新居民", "relationship": "child", "status": "living"},
        )
        assert added.status_code == 302
        assert PIN_COOKIE in added.cookies
        # The page after the write, and the export, show it to the one who wrote it...
        assert client.get(added["Location"]).status_code == 200
        assert "新居民" in _names_in_household_export(client, community)
        # ...while someone else reading at the same moment is served by the lagging replica.
        assert "新居民" not in _names_in_household_export(other, community)
        # Once the pin has expired the writer reads the replica again.
        time_machine.move_to(timezone.now() + dt.timedelta(seconds=11))
        assert "新居民" not in _names_in_household_export(client, community)
    replica.caught_up()
    assert "新居民" in _names_in_household_export(other, community)


@on_the_replica
def test_a_block_that_wrote_or_is_in_a_transaction_reads_the_primary(replica, territory):
    grid = territory.grid
    with replica.paused(), reads_from_replica():
        assert Area.objects.get(pk=grid.pk).name == "幸福第一网格"
        assert Area.objects.all().db == "replica"
        grid.name = "新的名字"
        grid.save(update_fields=["name"])
        assert Area.objects.all().db == "default"
        assert Area.objects.get(pk=grid.pk).name == "新的名字"
    assert Area.objects.all().db == "default"  # outside the block
    with reads_from_replica():
        assert Area.objects.all().db == "replica"
        with transaction.atomic():  # reads what it is about to commit
            assert Area.objects.all().db == "default"


@on_the_replica
def test_with_the_replica_unreachable_pages_read_the_primary(
    replica, client, territory, district_officer
):
    alias = connections["replica"]
    alias.close()
    alias.settings_dict = {**alias.settings_dict, "PORT": "1"}  # nothing listens there
    client.force_login(district_officer)
    _rename(territory.district, "改名后的示范区")
    assert _title_of_dashboard_export(client, territory.district).startswith("改名后的示范区")
    response = client.get(reverse("points_rankings", args=[territory.district.code]))
    assert response.status_code == 200
    with reads_from_replica():
        assert Area.objects.all().db == "default"  # not tried again for a while


@on_the_replica
def test_a_view_whose_replica_connection_dies_part_way_is_run_again_on_the_primary(
    replica, territory
):
    runs = []

    @reads_from_replica()
    def names():
        runs.append(Area.objects.all().db)
        if len(runs) == 1:
            alias = connections["replica"]
            alias.ensure_connection()
            replica.terminate(alias.connection.info.backend_pid)
        return set(Area.objects.values_list("name", flat=True))

    with replica.paused():
        _rename(territory.grid, "只在主库")
        found = names()
    assert runs == ["replica", "default"]
    assert "只在主库" in found


@on_the_replica
def test_the_points_league_table_is_read_from_the_replica(
    replica, client, territory, district_officer
):
    client.force_login(district_officer)
    with replica.paused():
        _rename(territory.district, "改名后的示范区")
        lagging = client.get(reverse("points_rankings", args=[territory.district.code]))
    assert lagging.status_code == 200
    assert "示范区" in lagging.content.decode()
    assert "改名后的示范区" not in lagging.content.decode()


def test_the_replica_is_never_migrated():
    assert ReplicaRouter().allow_migrate("replica", "grids", model_name="area") is False
    assert ReplicaRouter().allow_migrate("default", "grids", model_name="area") is None
