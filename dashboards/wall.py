"""The command-centre screen (一屏观全域): the key figures of an area and of each area below
it, read from the rollups, and the latest escalated requests. A wall polls this every half
minute, so it is a handful of queries whatever the number of areas."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards import selectors
from dashboards.models import AreaDay
from grids.models import Area
from tickets.models import OPEN_STATUSES, Ticket

# The figures around the map, in the order shown; each may colour the map.
FIGURES = {
    "open_now": _("Open"),
    "overdue_now": _("Overdue"),
    "escalated": _("Escalated this month"),
    "received_today": _("New today"),
    "satisfaction_rate": _("Satisfaction this month"),
    "visited_30_rate": _("Households visited in 30 days"),
}
RATES = ("satisfaction_rate", "visited_30_rate")
ESCALATIONS = 8


def _number(value):
    return float(value) if value is not None and not isinstance(value, int) else value


def _values(figures, now, standing, today: int) -> dict:
    return {
        "open_now": now.open_now,
        "overdue_now": now.overdue_now,
        "escalated": figures.escalated,
        "received_today": today,
        "satisfaction_rate": _number(figures.satisfaction_rate),
        "visited_30_rate": _number(standing.visited_30_rate) if standing else None,
    }


def figures(area: Area, *, boundaries: bool = False, today: dt.date | None = None) -> dict:
    """The area's figures and its children's, and their boundaries when asked (the screen
    asks once, then polls without): three queries."""
    today = today or timezone.localdate()
    month = selectors.span("month", today=today)
    board = selectors.board(area, month, boundaries=boundaries)
    children = [row for row in board.children if row[0] is not None]
    new_today = dict(
        AreaDay.objects.filter(
            day=today, area_id__in=[area.pk, *(row[0].pk for row in children)]
        ).values_list("area_id", "received")
    )
    result = {
        "figures": _values(board.figures, board.now, board.standing, new_today.get(area.pk, 0)),
        "areas": [
            {
                "code": child.code,
                "name": child.name,
                "values": _values(period, now, standing, new_today.get(child.pk, 0)),
            }
            for child, period, now, standing in children
        ],
    }
    if boundaries:
        result["map"] = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": child.name, "code": child.code},
                    "geometry": child.boundary,
                }
                for child, *_rest in children
                if child.boundary
            ],
        }
    return result


def escalations(area: Area, limit: int = ESCALATIONS) -> list[dict]:
    """The open requests under ``area`` most recently escalated (吹哨), newest first: one
    query. Only what a wall may show to a room: no resident, no description."""
    rows = (
        Ticket.objects.filter(
            area__path__startswith=area.path,
            status__in=OPEN_STATUSES,
            escalated_at__isnull=False,
        )
        .select_related("matter", "area")
        .only(
            "short_code",
            "escalated_at",
            "escalation_level",
            "acknowledged_at",
            "matter__name_en",
            "matter__name_zh",
            "area__name",
        )
        .order_by("-escalated_at")[:limit]
    )
    return [
        {
            "code": ticket.short_code,
            "matter": ticket.matter.name,
            "area": ticket.area.name,
            "at": timezone.localtime(ticket.escalated_at).strftime("%m-%d %H:%M"),
            "level": ticket.escalation_level,
            "acknowledged": ticket.acknowledged_at is not None,
        }
        for ticket in rows
    ]
