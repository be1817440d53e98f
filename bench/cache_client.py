"""Time the Redis cache clients in-process: what a signed-in page does to the cache, many times.

    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/cache_client.py [--rounds 10000]

One round is a ``get_many`` of three keys (a version token, a cached ``(token, date, rows)``
tuple and a missing key, as ``core/versioned.read`` does) and a ``set`` of such a tuple with
a timeout. Compared, in alternation so that a busy machine slows each alike:

- ``django-redis``: what settings.py uses;
- ``shared client``: the former ``core/cache.py`` (Django's Redis cache with one client per
  pool), taken from git history (``--old-rev``, by default the last commit that had it);
- ``django``: Django's own Redis cache, which builds a client for every operation.

Prints rounds per second and microseconds per round (best and median of ``--repeat`` runs).
Writes only keys under its own prefix, and deletes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_PATH = "core/cache.py"


def _git(*args: str) -> str | None:
    git = shutil.which("git") or "git"
    command = [git, *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def old_module_source(rev: str | None) -> str:
    """core/cache.py as it was: at ``rev``, or before the commit that removed it."""
    if rev:
        source = _git("show", f"{rev}:{OLD_PATH}")
    else:
        last = (_git("rev-list", "-n1", "HEAD", "--", OLD_PATH) or "").strip()
        source = _git("show", f"{last}:{OLD_PATH}") or _git("show", f"{last}^:{OLD_PATH}")
    if source is None:
        sys.exit(f"{OLD_PATH} not found in git history (try --old-rev)")
    return source


def configure(url: str, old_source: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    (folder / "old_shared_cache.py").write_text(old_source)
    sys.path.insert(0, str(folder))

    import django
    from django.conf import settings

    common = {"LOCATION": url, "KEY_PREFIX": "bench-cache-client"}
    settings.configure(
        USE_TZ=True,
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "django-redis": {"BACKEND": "django_redis.cache.RedisCache", **common},
            "shared client": {"BACKEND": "old_shared_cache.SharedClientRedisCache", **common},
            "django": {"BACKEND": "django.core.cache.backends.redis.RedisCache", **common},
        },
    )
    django.setup()


def one_run(cache, rounds: int) -> float:
    """Seconds for ``rounds`` rounds."""
    rows = [(n, f"第{n}网格", dt.date(2026, 1, 1) + dt.timedelta(days=n)) for n in range(20)]
    cache.set("version", "a" * 32, None)
    cache.set("entry", ("a" * 32, dt.date(2026, 1, 1), rows), 600)
    keys = ["version", "entry", "missing"]
    started = time.perf_counter()
    for n in range(rounds):
        found = cache.get_many(keys)
        cache.set(f"written:{n % 50}", (found["version"], dt.date(2026, 1, 1), rows), 600)
    return time.perf_counter() - started


def check(cache) -> None:
    """The behaviours the app relies on hold for this client."""
    value = ("t" * 32, dt.date(2026, 1, 1), [("a", 1)])
    cache.set_many({"c1": value, "c2": 7}, timeout=None)
    assert cache.get_many(["c1", "c2", "c3"]) == {"c1": value, "c2": 7}
    assert cache.add("c2", 8) is False
    assert cache.incr("c2") == 8
    cache.set("c3", 1, timeout=0)  # Django: expires at once
    assert cache.get("c3") is None
    cache.delete_many(["c1", "c2"])
    assert cache.get_many(["c1", "c2"]) == {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--old-rev", default=None)
    args = parser.parse_args()
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    configure(url, old_module_source(args.old_rev))

    from django.core.cache import caches

    names = ["django-redis", "shared client", "django"]
    for name in names:
        check(caches[name])
        one_run(caches[name], 500)  # connect and warm up
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.repeat):
        for name in names:
            times[name].append(one_run(caches[name], args.rounds))

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.rounds} rounds of get_many(3 keys) + set(tuple) on {url}, load {load}")
    print(f"{'client':<14} {'rounds/s best':>14} {'µs/round best':>14} {'µs/round median':>16}")
    for name in names:
        best, median = min(times[name]), statistics.median(times[name])
        print(
            f"{name:<14} {args.rounds / best:>14,.0f} {best / args.rounds * 1e6:>14.1f}"
            f" {median / args.rounds * 1e6:>16.1f}"
        )
    base = statistics.median(times["shared client"])
    ratio = statistics.median(times["django-redis"]) / base
    print(f"django-redis / shared client (median): {ratio:.3f}")
    for name in names:
        caches[name].delete_many(["version", "entry", *(f"written:{n}" for n in range(50))])


if __name__ == "__main__":
    main()
