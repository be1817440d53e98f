"""议事协商's figures for the district's dashboards (``core.figures``): six grouped queries,
whatever the number of areas. A topic counts in its grid when it came from one, else in its
community (so a grid's figures show only the topics raised there)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.figures import Definition, Figures, Unit, period_bounds, sum_under
from deliberation.models import Decision, Meeting, Objection, Project, Rating, Topic
from grids.scope import path_q

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "topics_raised",
        _("Topics raised"),
        _("Deliberation topics raised in the period, by residents online or by grid workers."),
    ),
    Definition(
        "topics_accepted",
        _("Topics accepted"),
        _("Topics the community accepted for deliberation in the period (by date of acceptance)."),
    ),
    Definition(
        "meetings",
        _("Meetings held"),
        _("Deliberation meetings (议事会) held in the period, by meeting date."),
    ),
    Definition(
        "decisions",
        _("Decisions published"),
        _("Decisions published for public notice (公示) in the period."),
    ),
    Definition(
        "objections",
        _("Objections"),
        _("Objections residents sent during a notice period, counted in the period received."),
    ),
    Definition(
        "projects_started",
        _("实事 projects started"),
        _("实事 projects started in the period, following a decision."),
    ),
    Definition(
        "projects_completed",
        _("实事 projects completed"),
        _("实事 projects completed in the period (by completion date)."),
    ),
    Definition(
        "budget_total",
        _("Budget of projects started (yuan)"),
        _("Sum of the budgets of the 实事 projects started in the period, in yuan."),
    ),
    Definition(
        "average_rating",
        _("Average rating (亮晒评)"),
        _(
            "Average stars (1–5) of the residents' ratings of completed projects given in the "
            "period; empty without ratings."
        ),
        Unit.AVERAGE,
    ),
)


def _rows(queryset, path: str, counts: dict) -> list[tuple[str, str, int]]:
    """(path, key, n) rows of one grouped query: ``counts`` maps key -> aggregate."""
    areas = queryset.annotate(area=Coalesce(f"{path}grid__path", f"{path}community__path"))
    rows = areas.values("area").annotate(**counts).order_by()
    return [(row["area"], key, row[key]) for row in rows for key in counts]


def figures(areas: Sequence, first: dt.date, last: dt.date) -> Figures:
    start, end = period_bounds(first, last)
    paths = [area.path for area in areas]
    topics = lambda p: path_q(paths, f"{p}community__path", f"{p}grid__path")  # noqa: E731
    rows: list[tuple[str, str, int]] = []
    rows += _rows(
        Topic.objects.filter(topics("")).filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(accepted_at__gte=start, accepted_at__lt=end)
        ),
        "",
        {
            "topics_raised": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            "topics_accepted": Count("pk", filter=Q(accepted_at__gte=start, accepted_at__lt=end)),
        },
    )
    rows += _rows(
        Meeting.objects.filter(topics("topic__"), held_on__range=(first, last)),
        "topic__",
        {"meetings": Count("pk")},
    )
    rows += _rows(
        Decision.objects.filter(topics("topic__"), published_at__gte=start, published_at__lt=end),
        "topic__",
        {"decisions": Count("pk")},
    )
    rows += _rows(
        Objection.objects.filter(
            topics("decision__topic__"), created_at__gte=start, created_at__lt=end
        ),
        "decision__topic__",
        {"objections": Count("pk")},
    )
    started = Q(started_on__range=(first, last))
    rows += _rows(
        Project.objects.filter(topics("topic__")).filter(
            started | Q(completed_on__range=(first, last))
        ),
        "topic__",
        {
            "projects_started": Count("pk", filter=started),
            "projects_completed": Count("pk", filter=Q(completed_on__range=(first, last))),
            "budget_total": Sum("budget", filter=started),
        },
    )
    rows += _rows(
        Rating.objects.filter(
            topics("project__topic__"), created_at__gte=start, created_at__lt=end
        ),
        "project__topic__",
        {"_stars": Sum(F("stars")), "_ratings": Count("pk")},
    )
    result = sum_under(areas, rows)
    for values in result.values():
        for definition in DEFINITIONS:
            values.setdefault(definition.key, 0)
        if values.get("budget_total") is not None:
            values["budget_total"] = float(values["budget_total"])
        stars, ratings = values.pop("_stars", 0), values.pop("_ratings", 0)
        values["average_rating"] = round(stars / ratings, 2) if ratings else None
    return result
