from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
}
# What a league table may be ranked by (largest first): from the period's figures or "now".
SORTS = {
    "received": lambda f, n: f.received,
    "completion_rate": lambda f, n: f.completion_rate,
    "on_time_rate": lambda f, n: f.on_time_rate,
    "satisfaction_rate": lambda f, n: f.satisfaction_rate,
    "overdue_now": lambda f, n: n.overdue_now,
    "visits": lambda f, n: f.visits,
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
    return found


@login_required
def dashboard(request, code):
    area, period, sort = _asked(request, code)
    board = selectors.board(area, period)
    value = SORTS[sort]
    rows = sorted(
        board.children,
        key=lambda row: (
            row[0] is None,
            -(value(row[1], row[2]) or 0),
            row[0].path if row[0] else "",
        ),
    )
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "board": board,
            "rows": rows,
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


def _figure_value(key: str, figures, now):
    value = SORTS[key](figures, now)
    return float(value) if value is not None else None


@login_required
def dashboard_data(request, code):
    """The charts' data for a dashboard (the page itself shows every number as text)."""
    area, period, sort = _asked(request, code)
    board = selectors.board(area, period)
    features, values = [], []
    for child, figures, now in board.children:
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
            {"name": child.name, "code": child.code, "value": _figure_value(sort, figures, now)}
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

    def line(name, figures, now):
        return [name, *[_figure_value(key, figures, now) for key in SORT_LABELS]]

    for child, figures, now in board.children:
        name = child.name if child else _("held at %(name)s itself") % {"name": area.name}
        sheet.append(line(name, figures, now))
    sheet.append(line(_("Total"), board.figures, board.now))
    return xlsx_response(book, f"dashboard-{area.code}-{period.first}-{period.last}.xlsx")
