"""The production settings plus one trivial view (the framework floor) for bench/dashboards.py."""

import os

from governance.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# `bench/dashboards.py --without-user-cache`: the user, their posts and their unread count read
# from the database on every request (core/versioned.py inert), to weigh what those caches buy.
if os.environ.get("BENCH_USER_CACHE") == "off":
    SHARED_CACHE = False
