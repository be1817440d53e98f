"""The helper every test that waits on a worker or a subprocess uses (tests/waiting.py): it
waits as long as there is progress, and fails, saying what stalled, when there is none.
Fast on purpose: tiny stall values and fake measures."""

import itertools
import subprocess
import sys
import time

import pytest

from tests.waiting import (
    Stalled,
    cpu_seconds,
    run_to_completion,
    running,
    stop,
    wait_for_exit,
    wait_for_progress,
)


def test_it_returns_the_value_that_is_done():
    counter = itertools.count()
    assert wait_for_progress(lambda: next(counter), lambda n: n >= 5, what="x", poll=0) == 5


def test_a_measure_that_never_moves_fails_after_the_stall_with_what_and_the_last_value():
    started = time.monotonic()
    with pytest.raises(Stalled) as stalled:
        wait_for_progress(lambda: 7, lambda n: n >= 10, what="the deliveries", stall=0.3)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 5
    message = str(stalled.value)
    assert "the deliveries" in message and "no progress" in message
    assert "last progress: 7" in message and "TEST_STALL_SECONDS=0.3" in message


def test_slow_progress_is_not_a_stall_however_long_the_whole_wait_takes():
    """Each step takes longer than half the stall, and the whole wait several stalls: it
    succeeds, where a fixed budget of one stall would have failed."""
    steps = iter(range(1, 100))
    value = {"n": 0, "at": time.monotonic()}

    def slow():
        if time.monotonic() - value["at"] > 0.12:
            value.update(n=next(steps), at=time.monotonic())
        return value["n"]

    started = time.monotonic()
    wait_for_progress(slow, lambda n: n >= 6, what="slow work", stall=0.2, poll=0.01)
    assert time.monotonic() - started > 3 * 0.2


def test_a_livelock_that_keeps_moving_stops_at_the_ceiling():
    counter = itertools.count()
    with pytest.raises(Stalled, match="still moving but not done"):
        wait_for_progress(
            lambda: next(counter), lambda n: False, what="a livelock", stall=1, ceiling=0.2
        )


def test_a_process_that_died_fails_at_once_with_its_exit_code():
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    started = time.monotonic()
    with pytest.raises(Stalled, match="the worker exited with code 3"):
        wait_for_progress(
            lambda: 0,
            lambda n: n > 0,
            what="deliveries",
            alive=running(process, "the worker"),
            stall=30,
        )
    assert time.monotonic() - started < 5


def test_a_subprocess_using_cpu_is_progress_and_one_asleep_is_not():
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nend = time.time() + 1.0\nwhile time.time() < end: pass",
        ]
    )
    wait_for_exit(busy, what="a busy process", stall=0.5)  # 1 s of work, 0.5 s stall
    assert busy.returncode == 0
    asleep = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.3)  # let it start
        assert cpu_seconds(asleep.pid) is not None
        with pytest.raises(Stalled, match="no progress"):
            wait_for_exit(asleep, what="a sleeping process", stall=0.5)
    finally:
        stop(asleep, what="the sleeper", sig=9)
    assert cpu_seconds(asleep.pid) is None


def test_run_to_completion_returns_the_output_like_subprocess_run():
    result = run_to_completion(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr)"],
        what="a short command",
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "out\n", "err\n")
