"""The dashboard's own pages beside the board: the monthly league table of departments
(dashboards/departments.py) and the grid's work besides requests (dashboards/affairs.py), each
with its Excel file, for an area the user sees."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.exports import xlsx_response
from core.replica import reads_from_replica
from dashboards import affairs, departments, selectors
from grids.access import area_or_404
from grids.roles import Level
from grids.views import breadcrumbs
from tickets.joint import LEVELS


def _asked(request, code: str):
    area = area_or_404(request.user, code, levels=LEVELS)
    period = departments.month(request.GET.get("month"))
    sort = request.GET.get("sort")
    sort = sort if sort in departments.SORTS else departments.COMPOSITE
    return area, period, sort


def _percent(value) -> str:
    return "—" if value is None else f"{value}%"


@login_required
@reads_from_replica()
def dashboard_departments(request, code):
    area, period, sort = _asked(request, code)
    rows = departments.league(area, period, sort=sort)
    return render(
        request,
        "dashboards/departments.html",
        {
            "area": area,
            "period": period,
            "sort": sort,
            "rows": rows,
            "columns": departments.COLUMNS,
            "composite": departments.COMPOSITE,
            "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
        },
    )


@login_required
@reads_from_replica()
def dashboard_departments_export(request, code):
    """The league table as Excel: the counts behind each share too."""
    from openpyxl import Workbook

    area, period, sort = _asked(request, code)
    rows = departments.league(area, period, sort=sort)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=period.key)
    sheet.append(
        [_("Departments in %(area)s, %(month)s") % {"area": area.name, "month": period.key}]
    )
    sheet.append(
        [
            _("Rank"),
            _("Department"),
            _("Summoned"),
            _("Acknowledge limit passed or acknowledged"),
            _("Acknowledged on time"),
            _("Acknowledged on time (%)"),
            _("Parts due"),
            _("Parts on time"),
            _("Parts on time (%)"),
            _("Requests rated"),
            _("Average rating"),
            _("Joint actions"),
        ]
    )
    for rank, row in enumerate(rows, start=1):
        sheet.append(
            [
                rank,
                row.department.name,
                row.summoned,
                row.acknowledge_settled,
                row.acknowledged_on_time,
                float(row.acknowledged_share) if row.acknowledged_share is not None else None,
                row.parts_settled,
                row.parts_on_time,
                float(row.parts_share) if row.parts_share is not None else None,
                row.rated,
                float(row.rating) if row.rating is not None else None,
                row.joint_actions,
            ]
        )
    return xlsx_response(book, f"departments-{area.code}-{period.key}.xlsx")


@login_required
@reads_from_replica()
def dashboard_affairs(request, code):
    """Mediation, safety patrols, deliberation and 红色物业 of the area and the areas under it,
    over the board's period (this year unless another is asked for)."""
    area = area_or_404(request.user, code)
    get = request.GET
    period = selectors.span(get.get("period") or "year", get.get("from"), get.get("to"))
    return render(
        request,
        "dashboards/affairs.html",
        {
            "area": area,
            "period": period,
            "spans": selectors.SPANS,
            "tables": affairs.tables(area, period.first, period.last),
            "drillable": area.level not in (Level.GRID, Level.MICRO_GRID),
            "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
        },
    )


@login_required
@reads_from_replica()
def dashboard_affairs_export(request, code):
    """The same tables as Excel, one sheet each, the definitions under each table."""
    from openpyxl import Workbook

    area = area_or_404(request.user, code)
    get = request.GET
    period = selectors.span(get.get("period") or "year", get.get("from"), get.get("to"))
    book = Workbook(write_only=True)
    for table in affairs.tables(area, period.first, period.last):
        sheet = book.create_sheet(title=table.key)
        sheet.append(
            [
                f"{table.title} · {area.name} · {period.first.isoformat()} – "
                f"{period.last.isoformat()}"
            ]
        )
        sheet.append([_("Area"), *[str(d.label) for d in table.definitions]])
        for row in table.rows:
            sheet.append([row.area.name, *[cell.value for cell in row.cells]])
        sheet.append([])
        for definition in table.definitions:
            sheet.append([str(definition.label), str(definition.definition)])
    return xlsx_response(book, f"affairs-{area.code}-{period.first}-{period.last}.xlsx")
