"""Waiting on something outside the test (a Celery worker, a subprocess, another database
connection, a browser): wait for progress, not for a fixed wall time.

On a loaded machine (CI shares its cores) a worker may need minutes for what takes it seconds
on a quiet one, so a test fails only when the thing it waits for has *stopped moving*: the
progress measure it watches (deliveries sent, the queue's length, a process's CPU time, a log
growing) has not changed for ``stall`` seconds. A ceiling far above any real run
(``TEST_WAIT_CEILING_SECONDS``, 15 minutes) stops a livelock, where the measure keeps moving
but never gets there, from holding CI forever.

Both limits come from the environment, so a slower machine can raise them without an edit:

    TEST_STALL_SECONDS          how long nothing may move (default 90)
    TEST_WAIT_CEILING_SECONDS   the most any one wait may take (default 900)
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number of seconds") from None


STALL_SECONDS = _seconds("TEST_STALL_SECONDS", 90.0)
CEILING_SECONDS = _seconds("TEST_WAIT_CEILING_SECONDS", 900.0)


class Stalled(AssertionError):
    """What was waited for stopped moving (or outlived the ceiling, or its process died)."""


def wait_for_progress(
    read_progress: Callable[[], T],
    done: Callable[[T], bool],
    *,
    what: str,
    stall: float | None = None,
    ceiling: float | None = None,
    poll: float = 0.1,
    alive: Callable[[], str | None] | None = None,
) -> T:
    """Poll ``read_progress()`` until ``done(value)``; return that value.

    ``read_progress`` returns anything comparable with ``==`` (a count, a tuple of counts, a
    process's CPU seconds): a change is progress. The wait fails with :class:`Stalled` when
    the value has not changed for ``stall`` seconds (``TEST_STALL_SECONDS``), when the whole
    wait outlasts ``ceiling`` (``TEST_WAIT_CEILING_SECONDS``), or at once when ``alive()``
    returns a reason (a worker that exited, say). The message names ``what`` and the last
    value, so a failure says what stalled and where.
    """
    stall = STALL_SECONDS if stall is None else stall
    ceiling = CEILING_SECONDS if ceiling is None else ceiling
    started = time.monotonic()
    value = read_progress()
    moved_at = started
    while True:
        if done(value):
            return value
        if alive is not None and (gone := alive()) is not None:
            # Read once more: it may have finished just before it went away.
            value = read_progress()
            if done(value):
                return value
            raise Stalled(f"waiting for {what}: {gone} (last progress: {value!r})")
        now = time.monotonic()
        if now - moved_at > stall:
            raise Stalled(
                f"waiting for {what}: no progress for {now - moved_at:.1f} s "
                f"(TEST_STALL_SECONDS={stall:g}); last progress: {value!r}"
            )
        if now - started > ceiling:
            raise Stalled(
                f"waiting for {what}: still moving but not done after {now - started:.1f} s "
                f"(TEST_WAIT_CEILING_SECONDS={ceiling:g}); last progress: {value!r}"
            )
        time.sleep(poll)
        latest = read_progress()
        if latest != value:
            value, moved_at = latest, time.monotonic()


# --- Measures of progress ---------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """CPU time a process (and the children it has waited for) has used, from /proc: a process
    that is working moves it however slowly the machine runs it; one that is stuck does not.
    None once the process is gone (or without /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command: state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based
    # in proc(5); here 0 is field 3 (state).
    return sum(int(tick) for tick in fields[11:15]) / _TICKS


def file_size(path: Path | str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def running(process: subprocess.Popen, name: str) -> Callable[[], str | None]:
    """For ``alive=``: a reason once ``process`` has exited."""

    def check() -> str | None:
        code = process.poll()
        return None if code is None else f"{name} exited with code {code}"

    return check


def all_running(processes: Iterable[tuple[subprocess.Popen, str]]) -> Callable[[], str | None]:
    checks = [running(process, name) for process, name in processes]

    def check() -> str | None:
        return next((reason for c in checks if (reason := c()) is not None), None)

    return check


# --- Processes --------------------------------------------------------------------------------


def wait_for_exit(
    processes: subprocess.Popen | Iterable[subprocess.Popen],
    *,
    what: str,
    extra_progress: Callable[[], Any] | None = None,
    stall: float | None = None,
) -> None:
    """Wait until every process has exited, for as long as they keep using CPU (or
    ``extra_progress()``, e.g. output written or rows counted, keeps moving)."""
    group = [processes] if isinstance(processes, subprocess.Popen) else list(processes)

    def progress():
        return (
            tuple(p.returncode if p.poll() is not None else cpu_seconds(p.pid) for p in group),
            extra_progress() if extra_progress is not None else None,
        )

    wait_for_progress(
        progress,
        lambda _value: all(p.poll() is not None for p in group),
        what=what,
        stall=stall,
        poll=0.05,
    )


def stop(process: subprocess.Popen, *, what: str, sig: int = signal.SIGTERM) -> int:
    """Send ``sig`` and wait for the process to exit while it keeps working (a warm shutdown
    finishes its task first); kill it if it stalls, then fail."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        wait_for_exit(process, what=what)
    except Stalled:
        process.kill()
        process.wait()
        raise
    return process.returncode


def run_to_completion(args: list[str], *, what: str, **popen: Any) -> subprocess.CompletedProcess:
    """``subprocess.run(args, capture_output=True, text=True)`` without its fixed ``timeout``:
    the command may take as long as it keeps using CPU or writing output."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(args, stdout=out, stderr=err, text=True, **popen)
        try:
            wait_for_exit(
                process,
                what=what,
                extra_progress=lambda: (
                    file_size(f"/proc/self/fd/{out.fileno()}"),
                    file_size(f"/proc/self/fd/{err.fileno()}"),
                ),
            )
        except Stalled:
            process.kill()
            process.wait()
            raise
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(args, process.returncode, out.read(), err.read())


def read_text(path: Path | str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def wait_for_log(process: subprocess.Popen, log: Path | str, needle: str, *, what: str) -> None:
    """Wait until ``needle`` is in the process's log (a Celery worker's ``… ready.``), for as
    long as the process is alive and starting up (using CPU, writing its log)."""
    try:
        wait_for_progress(
            lambda: (cpu_seconds(process.pid), file_size(log)),
            lambda _value: needle in read_text(log),
            what=what,
            alive=running(process, f"process {process.pid}"),
            poll=0.05,
        )
    except Stalled as stalled:
        tail = "\n".join(read_text(log).splitlines()[-20:])
        raise Stalled(f"{stalled}\n--- the end of {log}:\n{tail}") from None


# --- Threads on their own database connections ------------------------------------------------


def database_activity() -> tuple:
    """What the other connections to the test database are doing (state, query start, wait
    event): it changes while they run queries, and stops when they are stuck or done."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, query_start, wait_event FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid"
        )
        return tuple(cursor.fetchall())


def _activity_or_none() -> tuple | None:
    from django.db import connection

    return database_activity() if connection.vendor == "postgresql" else None


def join(threads: Iterable[Any], *, what: str) -> None:
    """Wait for threads to finish while they (or their database connections) make progress."""
    group = list(threads)

    def progress():
        return sum(not t.is_alive() for t in group), _activity_or_none()

    wait_for_progress(progress, lambda value: value[0] == len(group), what=what, poll=0.02)


def wait_for_event(event: Any, *, what: str) -> None:
    """``event.wait()`` for a thread's signal, while the database connections move."""
    wait_for_progress(_activity_or_none, lambda _value: event.is_set(), what=what, poll=0.01)
