"""Two officers at once, on two real PostgreSQL connections."""

import threading

import pytest
from django.db import connection, connections

from core.concurrency import ConcurrentEdit
from grids import services
from grids.models import Area, Household
from tests.factories import area
from tests.waiting import STALL_SECONDS, database_activity, join, wait_for_progress

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _blocked_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def _wait_for_a_blocked_lock() -> None:
    """Poll PostgreSQL until some connection is waiting on a row lock, for as long as the
    other connections are busy getting there."""
    wait_for_progress(
        lambda: (_blocked_locks(), database_activity()),
        lambda progress: progress[0] > 0,
        what="the second connection to wait for the lock ((blocked locks, activity))",
        poll=0.02,
    )


def _in_thread(target, results, key):
    def run():
        try:
            results[key] = target()
        except Exception as exc:  # the outcome is what the test inspects
            results[key] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_saves_of_the_same_version_one_wins_the_other_is_refused(household, own_worker):
    from django.db import transaction

    results = {}
    first_saved = threading.Event()
    release_first = threading.Event()

    def first():
        with transaction.atomic():
            services.update_household(
                by=own_worker,
                household=Household.objects.get(pk=household.pk),
                expected_version=1,
                address="甲的地址",
            )
            first_saved.set()
            release_first.wait(STALL_SECONDS)
        return "saved"

    def second():
        first_saved.wait(STALL_SECONDS)
        return services.update_household(
            by=own_worker,
            household=Household.objects.get(pk=household.pk),
            expected_version=1,
            address="乙的地址",
        )

    a = _in_thread(first, results, "first")
    b = _in_thread(second, results, "second")
    _wait_for_a_blocked_lock()
    release_first.set()
    join([a, b], what="both saves to finish")
    assert results["first"] == "saved"
    assert isinstance(results["second"], ConcurrentEdit)
    saved = Household.objects.get(pk=household.pk)
    assert (saved.address, saved.version) == ("甲的地址", 2)


def test_areas_added_at_once_under_one_parent_get_distinct_paths(territory):
    results = {}
    barrier = threading.Barrier(4)

    def add(n):
        def run():
            barrier.wait(STALL_SECONDS)
            return area(territory.far_grid, f"G3-M{n}", "micro_grid", None).path

        return run

    threads = [_in_thread(add(n), results, n) for n in range(4)]
    join(threads, what="the four additions to finish")
    paths = list(results.values())
    assert all(isinstance(p, str) for p in paths), paths
    assert len(set(paths)) == 4
    assert Area.objects.get(pk=territory.far_grid.pk).numchild == 4
    assert Area.objects.find_problems() == ([], [], [], [], [])
