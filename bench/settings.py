"""The production settings plus one trivial view (the framework floor) for bench/dashboards.py."""

from governance.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
