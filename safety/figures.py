"""The safety patrols' figures for the dashboards (the shape is core/figures.py's): four
grouped queries whatever the number of areas."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, DateTimeField, Exists, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.figures import Definition, Figures, Unit, period_bounds, share, sum_under
from safety.models import Hazard, Patrol, intervals
from visits.models import Place

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "places_active",
        _("Places to patrol"),
        _(
            "Active places (shops, enterprises, public places, known hazards) registered by the "
            "end of the period."
        ),
    ),
    Definition(
        "places_due",
        _("Places due for a patrol"),
        _(
            "Of the places to patrol, those with no safety patrol within their kind's interval "
            "(set by the district) before the end of the period, or never patrolled."
        ),
    ),
    Definition(
        "places_on_schedule",
        _("Places patrolled on schedule"),
        _(
            "Places to patrol with a safety patrol within their kind's interval before the end "
            "of the period."
        ),
    ),
    Definition(
        "on_schedule_share",
        _("Patrolled on schedule"),
        _("Places patrolled on schedule ÷ places to patrol."),
        Unit.SHARE,
    ),
    Definition("patrols", _("Safety patrols"), _("Checklist patrols recorded in the period.")),
    Definition(
        "hazards_found",
        _("Hazards found"),
        _("Failed checklist items (each a hazard) found on patrols in the period."),
    ),
    Definition(
        "major_hazards",
        _("Major hazards found"),
        _(
            "Hazards found in the period whose item is a major hazard (重大隐患); each is also "
            "filed as a request to the owning department."
        ),
    ),
    Definition(
        "hazards_open",
        _("Hazards not yet closed"),
        _("Hazards open or fixed but not yet re-checked, now (whatever the period)."),
    ),
    Definition(
        "hazards_overdue",
        _("Hazards overdue"),
        _("Open hazards whose fix-by date has passed, now (whatever the period)."),
    ),
)


def _under(areas) -> Q:
    query = Q(pk__in=[])
    for area in areas:
        query |= Q(grid__path__startswith=area.path)
    return query


def figures(areas, first: dt.date, last: dt.date) -> Figures:
    areas = list(areas)
    if not areas:
        return {}
    start, end = period_bounds(first, last)
    today = timezone.localdate()
    within = _under(areas)
    rows: list[tuple[str, str, int]] = []

    # A place is on schedule when a patrol lies within its kind's interval before the end.
    days = intervals()
    since = Case(
        *(
            When(place__kind=kind, then=Value(end - dt.timedelta(days=n)))
            for kind, n in days.items()
        ),
        default=Value(end - dt.timedelta(days=30)),
        output_field=DateTimeField(),
    )
    recent = Patrol.objects.filter(place=OuterRef("pk"), at__lt=end).filter(at__gte=since)
    places = (
        Place.objects.filter(within, active=True, created_at__lt=end)
        .alias(recent=Exists(recent))
        .values("grid__path")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(recent=True)))
    )
    for row in places:
        rows.append((row["grid__path"], "places_active", row["n"]))
        rows.append((row["grid__path"], "places_on_schedule", row["ok"]))
        rows.append((row["grid__path"], "places_due", row["n"] - row["ok"]))

    patrols = (
        Patrol.objects.filter(within, at__gte=start, at__lt=end)
        .values("grid__path")
        .annotate(n=Count("pk"))
    )
    rows += [(row["grid__path"], "patrols", row["n"]) for row in patrols]

    in_period = Q(found_at__gte=start, found_at__lt=end)
    hazards = (
        Hazard.objects.filter(within)
        .values("grid__path")
        .annotate(
            found=Count("pk", filter=in_period),
            major=Count("pk", filter=in_period & Q(severity="major")),
            unresolved=Count("pk", filter=~Q(status=Hazard.Status.CLOSED)),
            overdue=Count("pk", filter=Q(status=Hazard.Status.OPEN, fix_by__lt=today)),
        )
    )
    for row in hazards:
        path = row["grid__path"]
        rows += [
            (path, "hazards_found", row["found"]),
            (path, "major_hazards", row["major"]),
            (path, "hazards_open", row["unresolved"]),
            (path, "hazards_overdue", row["overdue"]),
        ]

    result = sum_under(areas, rows)
    for values in result.values():
        for definition in DEFINITIONS:
            if definition.unit == Unit.COUNT:
                values.setdefault(definition.key, 0)
        values["on_schedule_share"] = share(
            values.get("places_on_schedule"), values.get("places_active")
        )
    return result
