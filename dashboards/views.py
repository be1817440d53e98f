from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core import versioned
from core.exports import xlsx_response
from core.replica import reads_from_replica
from dashboards import league, selectors, wall
from dashboards.models import COMPLETION_HOURS, RESPONSE_HOURS, RollupState
from dashboards.rollup import REFRESHED_KEY
from grids.access import area_or_404
from grids.models import Area
from grids.policy import TerritoryCapability
from grids.roles import Level
from grids.scope import SCOPE_VERSION, active_posts, can, posts_cache_keys
from grids.views import breadcrumbs
from notifications import bell


def _period_and_sort(request):
    get = request.GET
    period = selectors.span(get.get("period"), get.get("from"), get.get("to"))
    sort = get.get("sort") if get.get("sort") in league.COLUMNS else league.DEFAULT
    return period, sort


def _asked(request, code: str):
    """The area (one the user may see, else 404), the period and the ranking column."""
    return area_or_404(request.user, code), *_period_and_sort(request)


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


def _stamp_from_database():
    """The rollups' refresh stamp when the cache has lost it (or, on the embedded default,
    another process set it), put back for the next minute."""
    found = RollupState.objects.filter(name="main").values_list("refreshed_at", flat=True).first()
    if found is not None:
        cache.set(REFRESHED_KEY, found, timeout=60)
    return found


BOARD_SECONDS = 300


@login_required
@reads_from_replica()
def dashboard(request, code):
    """The area's figures. Their body is rendered once per refresh of the rollups, area,
    period, ranking and language, then served from the cache: one round trip reads the
    refresh stamp, the body and (on a shared cache) the user's posts and unread count. A
    body carrying another stamp is stale. On a shared cache the body also keeps its area,
    trusted while the scope version it was read under is current, and the user's access
    to it is checked against their posts (the rule ``visible_to`` applies); otherwise the
    area is read from the database. Nothing is cached before the first refresh."""
    period, sort = _period_and_sort(request)
    user = request.user
    key = ":".join(
        [
            "dashboards:board",
            code,
            period.first.isoformat(),
            period.last.isoformat(),
            sort,
            get_language() or "",
        ]
    )
    found = cache.get_many([REFRESHED_KEY, key, *posts_cache_keys(user), *bell.cache_keys(user)])
    versioned.take_found(user, found)
    refreshed = found.get(REFRESHED_KEY) or _stamp_from_database()
    token = versioned.current(SCOPE_VERSION, found) if versioned.enabled() else None
    cached = found.get(key)
    if cached is not None and (refreshed is None or cached[0] != refreshed):
        cached = None
    if cached is not None and token is not None and cached[1] == token and cached[2].code == code:
        area = cached[2]
        if not can(user, TerritoryCapability.VIEW_TERRITORY, area):
            raise Http404
    else:
        area = get_object_or_404(Area.objects.visible_to(user).defer("boundary"), code=code)
        if cached is None or token is not None:
            board = selectors.board(area, period)
            body = _board_body(area, period, sort, board, refreshed)
            cached = (refreshed, token, area, body, board.ancestors)
            if refreshed is not None:
                cache.set(key, cached, BOARD_SECONDS)
    _stamp, _token, _area, body, ancestors = cached
    return render(
        request,
        "dashboards/dashboard.html",
        {"area": area, "breadcrumbs": breadcrumbs(request, area, ancestors), "body": body},
    )


def _board_body(area, period, sort, board, refreshed) -> str:
    rows = sorted(
        board.children,
        key=lambda row: (
            row[0] is None,
            -(league.value(sort, row[1], row[2], row[3]) or 0),
            row[0].path if row[0] else "",
        ),
    )
    columns = league.shown(sort)
    by_channel, by_category = selectors.mix(area, period)
    table = [
        {
            "child": child,
            "cells": [league.cell(key, figures, now, standing) for key in columns],
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
            "columns": [(key, league.COLUMNS[key].label) for key in columns],
            "rankings": league.groups(),
            "sort": sort,
            "sort_label": league.COLUMNS[sort].label,
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
            "refreshed": refreshed,
        },
    )


@login_required
@reads_from_replica()
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
                "value": league.number(sort, figures, now, standing),
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
@reads_from_replica()
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
    sheet.append([_("Area"), *[str(column.label) for column in league.COLUMNS.values()]])

    def line(name, figures, now, standing):
        return [name, *[league.number(key, figures, now, standing) for key in league.COLUMNS]]

    for child, figures, now, standing in board.children:
        name = child.name if child else _("held at %(name)s itself") % {"name": area.name}
        sheet.append(line(name, figures, now, standing))
    sheet.append(line(_("Total"), board.figures, board.now, board.standing))
    return xlsx_response(book, f"dashboard-{area.code}-{period.first}-{period.last}.xlsx")


@login_required
@reads_from_replica()
def dashboard_points(request, code):
    """The points panel, loaded after the page: the period's top members and residents and
    the area's latest red and black lists."""
    area, period, _sort = _asked(request, code)
    return render(
        request,
        "dashboards/_points.html",
        {"area": area, **selectors.points_panel(area, period)},
    )


# --- The command-centre screen ----------------------------------------------------------------

WALL_POLL_SECONDS = 30


def _wall_language(request):
    """Chinese on the wall unless the user chose a language (in their profile or with the
    language switch); the browser's own language does not count: a command centre's PC is
    often set up in English."""
    chosen = getattr(request.user, "language", "") or request.COOKIES.get(
        settings.LANGUAGE_COOKIE_NAME
    )
    return nullcontext() if chosen else translation.override("zh-hans")


@login_required
def dashboard_wall(request, code):
    """The area on one 1920×1080 screen: the map of the areas below coloured by a chosen
    figure, the key figures around it and the latest escalations, refreshed in place."""
    area = area_or_404(request.user, code)
    try:
        every = min(max(int(request.GET.get("every", WALL_POLL_SECONDS)), 1), 300)
    except ValueError:
        every = WALL_POLL_SECONDS
    with _wall_language(request):
        labels = {key: str(label) for key, label in wall.FIGURES.items()}
        return render(
            request,
            "dashboards/wall.html",
            {
                "area": area,
                "figures": list(labels.items()),
                "labels": labels,
                "rates": wall.RATES,
                "every": every,
                "LANGUAGE_CODE": get_language(),
            },
        )


@login_required
@reads_from_replica()
def dashboard_wall_data(request, code):
    """What the wall polls: the figures of the area and of each area below (from the
    rollups, cached until they are next refreshed) and the latest escalations (live). The
    first call asks for the boundaries too (``?map=1``). A constant number of queries; with
    the cache down, the figures are read again."""
    area = area_or_404(request.user, code)
    boundaries = request.GET.get("map") == "1"
    with _wall_language(request):
        refreshed = cache.get(REFRESHED_KEY) or _stamp_from_database()
        key = ":".join(
            [
                "dashboards:wall",
                area.code,
                "map" if boundaries else "figures",
                timezone.localdate().isoformat(),
                get_language() or "",
            ]
        )
        cached = cache.get(key)
        if cached is None or refreshed is None or cached[0] != refreshed:
            cached = (refreshed, wall.figures(area, boundaries=boundaries))
            if refreshed is not None:
                cache.set(key, cached, BOARD_SECONDS)
        data = {
            **cached[1],
            "escalations": wall.escalations(area),
            "refreshed": (
                timezone.localtime(refreshed).strftime("%H:%M") if refreshed is not None else None
            ),
        }
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response
