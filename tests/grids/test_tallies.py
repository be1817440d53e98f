import io

import pytest
from django.core.management import call_command

from grids import services, tallies
from grids.models import GridTally, Resident
from grids.selectors import overview
from tests.factories import HouseholdFactory, ResidentFactory
from tests.waiting import STALL_SECONDS, wait_for_progress


@pytest.mark.django_db
def test_tallies_equal_a_direct_count(territory):
    for grid, households, people in [(territory.grid, 3, 2), (territory.far_grid, 2, 1)]:
        for _ in range(households):
            household = HouseholdFactory(grid=grid)
            for _ in range(people):
                ResidentFactory(household=household)
    moved_out = Resident.objects.filter(household__grid=territory.grid).first()
    moved_out.status = Resident.Status.MOVED_OUT
    moved_out.save()
    out = io.StringIO()
    call_command("refresh_tallies", stdout=out)
    assert "4 grid tallies refreshed" in out.getvalue()
    tallies = {t.grid.code: (t.households, t.residents) for t in GridTally.objects.all()}
    assert tallies == {"G1": (3, 5), "G2": (0, 0), "G3": (2, 2), "G4": (0, 0)}
    district = overview(territory.district, show_households=True)
    assert (district.total.households, district.total.residents) == (5, 7)
    by_child = {c.area.code: c.households for c in district.children}
    assert by_child == {"S1": 5, "S2": 0}
    assert district.as_of is not None


@pytest.mark.django_db
def test_a_write_recounts_its_grid_after_commit(
    own_worker, territory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        household = services.create_household(by=own_worker, grid=territory.grid, address="新1号")
        services.create_resident(by=own_worker, household=household, name="新居民")
    tally = GridTally.objects.get(grid=territory.grid)
    assert (tally.households, tally.residents) == (1, 1)
    community = overview(territory.community, show_households=True)
    assert community.total.households == 1


@pytest.mark.django_db
def test_a_broker_outage_does_not_fail_the_write(
    own_worker, territory, django_capture_on_commit_callbacks, settings
):
    from tests.broker import publishing_to

    with publishing_to("redis://127.0.0.1:9/0"), django_capture_on_commit_callbacks(execute=True):
        household = services.create_household(by=own_worker, grid=territory.grid, address="断网1号")
    assert household.pk
    assert not GridTally.objects.exists()  # the periodic refresh will count it
    tallies.refresh_tallies()
    assert GridTally.objects.get(grid=territory.grid).households == 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_recounts_after_a_write(own_worker, territory):
    import os

    from celery.contrib.testing.worker import start_worker
    from celery.worker import state as worker_state

    from governance.celery import app
    from tests.broker import publishing_to

    with (
        publishing_to(os.environ["REDIS_URL"]),
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=STALL_SECONDS),
    ):
        household = services.create_household(by=own_worker, grid=territory.grid, address="异步1号")
        services.create_resident(by=own_worker, household=household, name="异步居民")
        # Progress: the tasks the worker has finished, and the tally it wrote.
        wait_for_progress(
            lambda: (
                sum(worker_state.total_count.values()),
                GridTally.objects.filter(grid=territory.grid)
                .values_list("households", "residents")
                .first(),
            ),
            lambda progress: progress[1] == (1, 1),
            what="the worker to recount G1 ((tasks done, (households, residents)))",
        )
    tally = GridTally.objects.get(grid=territory.grid)
    assert (tally.households, tally.residents) == (1, 1)
