from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.excel import xlsx_response
from dashboards import selectors
from dashboards.models import COMPLETION_HOURS, RESPONSE_HOURS, RollupState
from dashboards.rollup import REFRESHED_KEY
from grids.models import Area
from grids.roles import Level
from grids.scope import active_posts
from grids.views import breadcrumbs

SORT_LABELS = {
    "received": gettext_lazy("Received"),
    "completion_rate": gettext_lazy("Completion rate"),
    "on_time_rate": gettext_lazy("On-time rate"),
    "satisfaction_rate": gettext_lazy("Satisfaction"),
    "overdue_now": gettext_lazy("Overdue now"),
    "visits": gettext_lazy("Visits"),
    "visited_30_rate": gettext_lazy("Visited in 30 days"),
    "staffing_rate": gettext_lazy("1+3+N"),
    "branch_rate": gettext_lazy("Branch coverage"),
    "station_rate": gettext_lazy("Station coverage"),
    "circle_rate": gettext_lazy("15-minute circle"),
}
# What a league table may be ranked by (largest first): from the period's figures (f), the
# open requests now (n) or the area's standing (s; None for requests held at the area).
SORTS = {
    "received": lambda f, n, s: f.received,
    "completion_rate": lambda f, n, s: f.completion_rate,
    "on_time_rate": lambda f, n, s: f.on_time_rate,
    "satisfaction_rate": lambda f, n, s: f.satisfaction_rate,
    "overdue_now": lambda f, n, s: n.overdue_now,
    "visits": lambda f, n, s: f.visits,
    "visited_30_rate": lambda f, n, s: s and s.visited_30_rate,
    "staffing_rate": lambda f, n, s: s and s.staffing_rate,
    "branch_rate": lambda f, n, s: s and s.branch_rate,
    "station_rate": lambda f, n, s: s and s.station_rate,
    "circle_rate": lambda f, n, s: s and s.circle_rate,
}


def _asked(request, code: str):
    """The area (one the user may see, else 404), the period and the ranking column."""
    area = get_object_or_404(Area.objects.visible_to(request.user), code=code)
    get = request.GET
    period = selectors.span(get.get("period"), get.get("from"), get.get("to"))
    sort = get.get("sort") if get.get("sort") in SORTS else "received"
    return area, period, sort


@login_required
def home(request):
    """The dashboard of the widest area the user holds a post in."""
    if request.user.is_superuser:
        root = Area.objects.get_root_nodes().first()
        if root is None:
            raise Http404
        return redirect("dashboard", code=root.code)
    posts = sorted(active_posts(request.user), key=lambda post: post.area.depth)
    if not posts:
        raise Http404
    return redirect("dashboard", code=posts[0].area.code)


def _refreshed_at():
    """From the shared cache; the embedded default's per-process cache may not have it."""
    found = cache.get(REFRESHED_KEY)
    if found is None:
        found = (
            RollupState.objects.filter(name="main").values_list("refreshed_at", flat=True).first()
        )
        if found is not None:
            cache.set(REFRESHED_KEY, found, timeout=60)
    return found


BOARD_SECONDS = 300


def _board_key(area, period, sort) -> str | None:
    """The cache key of a dashboard's body: the area, the period, the ranking, the language
    and the rollups' refresh stamp, so a refresh makes every cached body stale. None (do not
    cache) before any refresh."""
    refreshed = _refreshed_at()
    if refreshed is None:
        return None
    return ":".join(
        [
            "dashboards:board",
            refreshed.isoformat(),
            str(area.pk),
            period.first.isoformat(),
            period.last.isoformat(),
            sort,
            get_language() or "",
        ]
    )


@login_required
def dashboard(request, code):
    """The area's figures (access first); their body is rendered once per refresh of the
    rollups and area, period, ranking and language, then served from the cache."""
    area, period, sort = _asked(request, code)
    key = _board_key(area, period, sort)
    cached = cache.get(key) if key else None
    if cached is None:
        board = selectors.board(area, period)
        cached = (_board_body(area, period, sort, board), board.ancestors)
        if key:
            cache.set(key, cached, BOARD_SECONDS)
    body, ancestors = cached
    return render(
        request,
        "dashboards/dashboard.html",
        {"area": area, "breadcrumbs": breadcrumbs(request, area, ancestors), "body": body},
    )


def _board_body(area, period, sort, board) -> str:
    value = SORTS[sort]
    rows = sorted(
        board.children,
        key=lambda row: (
            row[0] is None,
            -(value(row[1], row[2], row[3]) or 0),
            row[0].path if row[0] else "",
        ),
    )
    by_channel, by_category = selectors.mix(area, period)
    table = [
        {
            "child": child,
            "cells": [_cell(key, figures, now, standing) for key in SORT_LABELS],
        }
        for child, figures, now, standing in rows
    ]
    query = urlencode(
        {
            "period": period.key,
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "sort": sort,
        }
    )
    return render_to_string(
        "dashboards/_board.html",
        {
            "area": area,
            "board": board,
            "table": table,
            "query": query,
            "LANGUAGE_CODE": get_language(),
            "by_channel": by_channel,
            "by_category": by_category,
            "sorts": SORT_LABELS,
            "sort": sort,
            "sort_label": SORT_LABELS[sort],
            "spans": selectors.SPANS,
            "definitions": selectors.DEFINITIONS,
            "drillable": area.level not in (Level.GRID, Level.MICRO_GRID),
            "response": (
                selectors.hours_label(board.figures.response_p50, RESPONSE_HOURS),
                selectors.hours_label(board.figures.response_p90, RESPONSE_HOURS),
            ),
            "completion": (
                selectors.hours_label(board.figures.completion_p50, COMPLETION_HOURS),
                selectors.hours_label(board.figures.completion_p90, COMPLETION_HOURS),
            ),
            "refreshed": _refreshed_at(),
        },
    )


RATES = {key for key in SORTS if key.endswith("_rate")}


def _cell(key: str, figures, now, standing) -> tuple[str, str, bool]:
    """(figure, text, alarming) for one league-table cell."""
    value = SORTS[key](figures, now, standing)
    if value is None:
        return key, "—", False
    text = f"{value}%" if key in RATES else str(value)
    return key, text, key == "overdue_now" and value > 0


def _figure_value(key: str, figures, now, standing):
    value = SORTS[key](figures, now, standing)
    return float(value) if value is not None else None


@login_required
def dashboard_data(request, code):
    """The charts' data for a dashboard (the page itself shows every number as text)."""
    area, period, sort = _asked(request, code)
    board = selectors.board(area, period, boundaries=True)
    features, values = [], []
    for child, figures, now, standing in board.children:
        if child is None or not child.boundary:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"name": child.name, "code": child.code},
                "geometry": child.boundary,
            }
        )
        values.append(
            {
                "name": child.name,
                "code": child.code,
                "value": _figure_value(sort, figures, now, standing),
            }
        )
    points = selectors.trend(area, period)
    return JsonResponse(
        {
            "figure": sort,
            "drillable": area.level not in (Level.GRID, Level.MICRO_GRID),
            "map": {"type": "FeatureCollection", "features": features},
            "values": values,
            "trend": {
                "labels": [day.isoformat() for day, _f in points],
                "received": [f.received for _d, f in points],
                "completion_rate": [
                    float(f.completion_rate) if f.completion_rate is not None else None
                    for _d, f in points
                ],
            },
        }
    )


@login_required
def dashboard_export(request, code):
    """The league table and the area's own figures for the period, as Excel."""
    from openpyxl import Workbook

    area, period, _sort = _asked(request, code)
    board = selectors.board(area, period)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=area.code[:31])
    sheet.append(
        [
            _("%(area)s, %(first)s to %(last)s")
            % {"area": area.name, "first": period.first, "last": period.last}
        ]
    )
    sheet.append([_("Area"), *[str(label) for label in SORT_LABELS.values()]])

    def line(name, figures, now, standing):
        return [name, *[_figure_value(key, figures, now, standing) for key in SORT_LABELS]]

    for child, figures, now, standing in board.children:
        name = child.name if child else _("held at %(name)s itself") % {"name": area.name}
        sheet.append(line(name, figures, now, standing))
    sheet.append(line(_("Total"), board.figures, board.now, board.standing))
    return xlsx_response(book, f"dashboard-{area.code}-{period.first}-{period.last}.xlsx")


@login_required
def dashboard_points(request, code):
    """The points panel, loaded after the page: the period's top members and residents and
    the area's latest red and black lists."""
    area, period, _sort = _asked(request, code)
    return render(
        request,
        "dashboards/_points.html",
        {"area": area, **selectors.points_panel(area, period)},
    )
