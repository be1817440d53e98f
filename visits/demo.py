"""The demo's visit history: each household's last visit and due date, and the visits behind
them, by the people posted to its grid, so the worker's list and the supervision pages have
figures. Generators of their own keep the rest of the demo as it was."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.utils import timezone

from core.bulkload import create_all
from grids.demo import Demo
from grids.models import Household, Post, ResidentCare
from grids.roles import Level, Role
from visits.models import Visit, VisitKind, VisitPlan


def prepare(demo: Demo) -> None:
    demo.household_hooks.append(_history(demo))


def _history(demo: Demo):
    today = timezone.localdate()
    plan = VisitPlan()  # the demo's communities keep the default intervals
    rng = random.Random(f"{demo.scale}-visits")  # noqa: S311 - demo data

    def stamp(households: list[Household], care: dict[int, set[str]]) -> None:
        # Most households were visited within their interval, some are overdue, a few never.
        for household in households:
            interval = plan.days_for(care.get(id(household), ()))
            roll = rng.random()
            if roll < 0.08:
                since = today - dt.timedelta(days=rng.randint(0, 3))
                household.last_visited_at = None
            else:
                stretch = 1.4 if roll < 0.25 else 0.95
                since = today - dt.timedelta(days=rng.randint(0, int(interval * stretch)))
                household.last_visited_at = timezone.make_aware(
                    dt.datetime.combine(since, dt.time(rng.randint(9, 17)))
                )
            household.visit_due_on = since + dt.timedelta(days=interval)

    return stamp


def seed(demo: Demo, password: str) -> None:
    build_visits(demo)


def build_visits(demo: Demo) -> None:
    """The visits behind each household's last visit, by the people posted to its grid, so
    the supervision pages have figures. A generator of its own keeps the rest as it was."""
    rng = random.Random(f"{demo.scale}-visit-rows")  # noqa: S311 - demo data
    visitors: dict[int, list[int]] = {}
    for grid_id, user_id in Post.objects.filter(
        area__path__startswith=demo.district.path,
        area__level=Level.GRID,
        role__in=[Role.GRID_LEADER, Role.GRID_WORKER, Role.PART_TIME_WORKER],
    ).values_list("area_id", "user_id"):
        visitors.setdefault(grid_id, []).append(user_id)
    in_care = set(
        ResidentCare.objects.filter(
            resident__household__grid__path__startswith=demo.district.path
        ).values_list("resident__household_id", flat=True)
    )
    rows = []
    found = ["老人身体还好，子女每周来看", "家中一切正常", "反映楼道灯不亮", "询问医保缴费", ""]
    households = Household.objects.filter(
        grid__path__startswith=demo.district.path, last_visited_at__isnull=False
    ).values_list("pk", "grid_id", "last_visited_at")
    for pk, grid_id, visited_at in households.iterator(chunk_size=5000):
        people = visitors.get(grid_id)
        if not people:
            continue
        rows.append(
            Visit(
                client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                grid_id=grid_id,
                household_id=pk,
                by_id=rng.choice(people),
                kind=VisitKind.CARE if pk in in_care else VisitKind.ROUTINE,
                visited_at=visited_at,
                findings=rng.choice(found),
                tags=["all_well"] if rng.random() < 0.7 else ["needs_help"],
            )
        )
        if len(rows) >= 5000:
            create_all(Visit, rows)
            rows = []
    create_all(Visit, rows)
    demo.counts["visits"] = Visit.objects.filter(grid__path__startswith=demo.district.path).count()
