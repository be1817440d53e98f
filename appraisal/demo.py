"""The demo's scorecards: the drafts of this month and the last, as the nightly job would
leave them, so the pages have something to show on the first ``make run``; and the grid
workers' grades (三岗十八级), with a few left ungraded so the street has proposals to decide."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.contrib.auth import get_user_model
from django.utils import timezone

from appraisal.ladder import ROLE_TRACK, Grade, GradeHolding
from appraisal.models import SCORED_ROLES, SchemeItem
from appraisal.tasks import compute_recent, propose_all
from grids.models import Post


def seed(demo, password: str) -> None:
    load_defaults()
    # At district scale the benchmark seeds data, not the night's jobs: the job runs there
    # as it would in production (and bench/ can time it).
    if demo.scale == "small":
        demo.counts["draft scorecards"] = compute_recent()
        demo.counts["grades held"] = _grades()
        demo.counts["promotions proposed"] = propose_all()


def load_defaults() -> None:
    """The scheme and the ladder the migrations load, loaded again where the tables were
    emptied since (a test's flush empties every table): the demo scores and grades by them."""
    from django.apps import apps

    if not SchemeItem.objects.exists():
        import_module("appraisal.migrations.0001_initial").seed_scheme(apps, None)
        import_module("appraisal.migrations.0005_care_on_time").add_versions(apps, None)
    if not Grade.objects.exists():
        import_module("appraisal.migrations.0003_seed_grades").seed(apps, None)


def _grades() -> int:
    """Every third scored worker is left ungraded (the job proposes them the first grade);
    the others hold level 1–3 of their track since they took the post. The demo worker was
    promoted once, so their page has a history."""
    grades = {(g.track, g.level): g for g in Grade.objects.all()}
    today = timezone.localdate()
    holdings, seen = [], set()
    posts = Post.objects.active().filter(role__in=SCORED_ROLES).order_by("user_id", "started_on")
    for post in posts:
        if post.user_id in seen or post.user_id % 3 == 0:
            continue
        seen.add(post.user_id)
        track = ROLE_TRACK[post.role]
        holdings.append(
            GradeHolding(
                worker_id=post.user_id,
                grade=grades[(track, 1 + post.user_id % 3)],
                since=post.started_on,
                reason="入职定级",
            )
        )
    GradeHolding.objects.bulk_create(holdings)
    worker = get_user_model().objects.filter(username="worker").first()
    if worker is not None:
        GradeHolding.objects.filter(worker=worker).delete()
        since = today - dt.timedelta(days=400)
        GradeHolding.objects.bulk_create(
            [
                GradeHolding(
                    worker=worker,
                    grade=grades[("full_time", 1)],
                    since=since - dt.timedelta(days=365),
                    until=since,
                    reason="入职定级",
                ),
                GradeHolding(
                    worker=worker,
                    grade=grades[("full_time", 2)],
                    since=since,
                    reason="年度考核优秀，晋升二级",
                ),
            ]
        )
    return GradeHolding.objects.count()
