"""Two officers at once, on two real PostgreSQL connections."""

import threading
import time

import pytest
from django.db import connection, connections

from core.concurrency import ConcurrentEdit
from grids import services
from grids.models import Area, Household
from tests.factories import area

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wait_for_a_blocked_lock(timeout: float = 10.0) -> None:
    """Poll PostgreSQL until some connection is waiting on a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second connection never waited for the lock")


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
            release_first.wait(10)
        return "saved"

    def second():
        first_saved.wait(10)
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
    a.join(15)
    b.join(15)
    assert results["first"] == "saved"
    assert isinstance(results["second"], ConcurrentEdit)
    saved = Household.objects.get(pk=household.pk)
    assert (saved.address, saved.version) == ("甲的地址", 2)


def test_areas_added_at_once_under_one_parent_get_distinct_paths(territory):
    results = {}
    barrier = threading.Barrier(4)

    def add(n):
        def run():
            barrier.wait(10)
            return area(territory.far_grid, f"G3-M{n}", "micro_grid", None).path

        return run

    threads = [_in_thread(add(n), results, n) for n in range(4)]
    for thread in threads:
        thread.join(20)
    paths = list(results.values())
    assert all(isinstance(p, str) for p in paths), paths
    assert len(set(paths)) == 4
    assert Area.objects.get(pk=territory.far_grid.pk).numchild == 4
    assert Area.objects.find_problems() == ([], [], [], [], [])
