"""The demo's scorecards: the drafts of this month and the last, as the nightly job would
leave them, so the pages have something to show on the first ``make run``."""

from __future__ import annotations

from appraisal.tasks import compute_recent


def seed(demo, password: str) -> None:
    # At district scale the benchmark seeds data, not the night's jobs: the job runs there
    # as it would in production (and bench/ can time it).
    if demo.scale == "small":
        demo.counts["draft scorecards"] = compute_recent()
