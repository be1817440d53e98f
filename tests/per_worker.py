"""Redis and var/ of their own for each pytest-xdist worker.

pytest-django gives each worker its own test database (test_<name>_gw0, _gw1, …), but the
workers would share the rest: the cache (which autouse fixtures empty of versions and stamps,
tests `cache.clear()`, and the public form counts its limits in), the Celery queue that the
real-worker tests consume (a worker would take another process's tasks and run them on the
wrong database), and VAR_DIR (the private photos the demo seeds, the embedded broker's
folders). So before Django reads its settings, worker ``gwN`` gets Redis database
``base - N`` (base: the one in REDIS_URL) and VAR_DIR/gwN.

Registered with ``-p tests.per_worker`` in pyproject's addopts: conftest files load after
pytest-django has read the settings, too late to change them.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

# What this process changed: {variable: (inherited value, this worker's value)}.
changed: dict[str, tuple[str, str]] = {}


def worker_number() -> int | None:
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") else None


def redis_url_for(url: str, worker: int) -> str:
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    if base < worker:
        raise pytest.UsageError(
            f"{url}: Redis database {base} leaves none for worker gw{worker} (each worker takes "
            "the base minus its number): use a higher one, e.g. redis://127.0.0.1:6379/15"
        )
    return urlunsplit(parts._replace(path=f"/{base - worker}"))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    worker = worker_number()
    if worker is None:
        return
    from django.conf import settings

    if settings.configured:
        raise pytest.UsageError("tests.per_worker must run before Django reads its settings")
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("redis://", "rediss://")):
            _set(name, redis_url_for(url, worker))
    # Inherited from the controller, where pytest-env has set it.
    _set("VAR_DIR", os.path.join(os.environ.get("VAR_DIR", "var"), f"gw{worker}"))


def _set(name: str, value: str) -> None:
    changed[name] = (os.environ.get(name, ""), value)
    os.environ[name] = value


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if worker_number() is None:
        return None
    return [f"per worker: REDIS_URL={os.environ.get('REDIS_URL')} VAR_DIR={os.environ['VAR_DIR']}"]
