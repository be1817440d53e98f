"""An area's cases, a case's page and its writes, the month's rolling screening (滚动排查)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl import Workbook

from core.clientip import client_ip
from core.exports import Watermark, xlsx_response
from core.forms import NOT_SAVED, submit_form
from core.images import serve_private
from core.replica import reads_from_replica
from grids.access import area_or_404
from grids.exports import export_gate
from grids.forms import RevealForm
from grids.models import ExportKind
from grids.policy import TerritoryCapability
from grids.roles import Level
from grids.scope import can
from grids.services import log_personal_access
from mediation import services
from mediation.forms import (
    CaseForm,
    CloseForm,
    FilterForm,
    FollowUpForm,
    PartyForm,
    RiskForm,
    StepForm,
)
from mediation.models import Case
from mediation.policy import VIEW_CASES, may_record, may_reveal
from mediation.selectors import screening as screening_of

PAGE_SIZE = 25


def _case_or_404(user, pk: int) -> Case:
    return get_object_or_404(
        Case.objects.visible_to(user, VIEW_CASES).select_related(
            "grid", "household", "mediator", "studio", "opened_by", "closed_by"
        ),
        pk=pk,
    )


def _writable(request, pk: int) -> Case:
    case = _case_or_404(request.user, pk)
    if not may_record(request.user, case.grid):
        raise PermissionDenied
    return case


@login_required
def cases(request, code: str):
    area = area_or_404(request.user, code, VIEW_CASES)
    filters = FilterForm(request.GET or None)
    rows = Case.objects.filter(grid__path__startswith=area.path)
    if filters.is_valid():
        for field in ("status", "type", "risk"):
            if filters.cleaned_data[field]:
                rows = rows.filter(**{field: filters.cleaned_data[field]})
    # Newest first (Case.Meta.ordering, with pk to break ties): a district's years of cases
    # are read a page at a time.
    page = Paginator(
        rows.select_related("grid", "mediator", "studio").prefetch_related("parties"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "mediation/cases.html",
        {
            "area": area,
            "cases": page.object_list,
            "page": page,
            "keep": keep.urlencode(),
            "filters": filters,
            "may_open": area.level == Level.GRID and may_record(request.user, area),
            "today": timezone.localdate(),
        },
    )


@login_required
def new_case(request, code: str):
    grid = area_or_404(request.user, code, levels=[Level.GRID])
    if not may_record(request.user, grid):
        raise PermissionDenied
    form = CaseForm(request.POST or None, grid=grid)

    @transaction.atomic
    def write(data, _version):
        case = services.open_case(
            by=request.user,
            grid=grid,
            type=data["type"],
            risk=data["risk"],
            summary=data["summary"],
            household=data["household"],
            mediator=data["mediator"],
            studio=data["studio"],
        )
        for role, prefix in (("applicant", "applicant"), ("respondent", "respondent")):
            if data[f"{prefix}_name"]:
                try:
                    services.add_party(
                        by=request.user,
                        case=case,
                        role=role,
                        name=data[f"{prefix}_name"],
                        phone=data[f"{prefix}_phone"],
                    )
                except ValidationError as error:
                    raise ValidationError(
                        {f"{prefix}_phone": error.message_dict.get("phone", error.messages)}
                    ) from None
        return case

    case = submit_form(request, form, write, _("The case is recorded."))
    if case is not NOT_SAVED:
        return redirect("mediation_case", pk=case.pk)
    return render(request, "mediation/case_form.html", {"grid": grid, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
@cache_control(private=True, no_store=True)
def case_detail(request, pk: int):
    case = _case_or_404(request.user, pk)
    parties = list(case.parties.all())
    shown = [p for p in parties if p.phone]
    reveal, reveal_form = False, None
    if shown and may_reveal(request.user, case.grid):
        # Full numbers after a reason and, when due, the password (as a resident's).
        reveal_form = RevealForm(request.POST or None, request=request)
        if reveal_form.is_valid():
            for party in shown:
                log_personal_access(
                    request.user,
                    party,
                    ["phone"],
                    client_ip(request),
                    reason=reveal_form.cleaned_data["reason"],
                    reauthenticated=reveal_form.reauthenticated,
                    stepup_at=reveal_form.stepup_at,
                )
            reveal, reveal_form = True, None
    may_write = may_record(request.user, case.grid)
    return render(
        request,
        "mediation/case.html",
        {
            "case": case,
            "parties": parties,
            "steps": case.steps.select_related("by"),
            "reveal": reveal,
            "reveal_form": reveal_form,
            "may_write": may_write,
            "risk_form": RiskForm(initial={"risk": case.risk, "version": case.version})
            if may_write and not case.is_closed
            else None,
            "step_form": StepForm() if may_write and not case.is_closed else None,
            "follow_up_form": FollowUpForm()
            if may_write and case.is_closed and not case.followed_up_at
            else None,
            "overdue": case.follow_up_overdue(),
        },
    )


@login_required
def add_party(request, pk: int):
    case = _writable(request, pk)
    form = PartyForm(request.POST or None)

    def write(data, _version):
        return services.add_party(by=request.user, case=case, **data)

    if submit_form(request, form, write, _("The party is added.")) is not NOT_SAVED:
        return redirect("mediation_case", pk=case.pk)
    return render(
        request, "mediation/form.html", {"case": case, "form": form, "title": _("Add a party")}
    )


@login_required
def add_step(request, pk: int):
    case = _writable(request, pk)
    form = StepForm(request.POST or None)

    def write(data, _version):
        return services.record_step(by=request.user, case=case, **data)

    if submit_form(request, form, write, _("The step is recorded.")) is not NOT_SAVED:
        return redirect("mediation_case", pk=case.pk)
    return render(
        request, "mediation/form.html", {"case": case, "form": form, "title": _("Record a step")}
    )


@login_required
@require_POST
def set_risk(request, pk: int):
    """Change the risk level from the case's page; raising it to high reports the case up."""
    case = _writable(request, pk)
    form = RiskForm(request.POST)

    def write(data, version):
        return services.set_risk(by=request.user, case=case, risk=data["risk"], version=version)

    if submit_form(request, form, write, _("The risk level is changed.")) is NOT_SAVED:
        messages.error(request, " ".join(str(e) for e in form.errors.values()) or _("Not saved."))
    return redirect("mediation_case", pk=case.pk)


@login_required
def close(request, pk: int):
    case = _writable(request, pk)
    if case.is_closed:
        return redirect("mediation_case", pk=case.pk)
    form = CloseForm(request.POST or None, request.FILES or None, initial={"version": case.version})

    def write(data, version):
        return services.close_case(by=request.user, case=case, version=version, **data)

    if submit_form(request, form, write, _("The case is closed.")) is not NOT_SAVED:
        return redirect("mediation_case", pk=case.pk)
    return render(request, "mediation/close.html", {"case": case, "form": form})


@login_required
def follow_up(request, pk: int):
    case = _writable(request, pk)
    if not case.is_closed or case.followed_up_at:
        return redirect("mediation_case", pk=case.pk)
    form = FollowUpForm(request.POST or None)

    def write(data, _version):
        return services.record_follow_up(by=request.user, case=case, **data)

    if submit_form(request, form, write, _("The follow-up visit is recorded.")) is not NOT_SAVED:
        return redirect("mediation_case", pk=case.pk)
    return render(
        request,
        "mediation/form.html",
        {"case": case, "form": form, "title": _("Log the follow-up visit")},
    )


@login_required
def signed_copy(request, pk: int):
    case = _case_or_404(request.user, pk)
    return serve_private(case.signed_copy)


def _month(request) -> dt.date:
    raw = request.GET.get("month", "")
    try:
        return (
            dt.datetime.strptime(raw, "%Y-%m").date()
            if raw
            else timezone.localdate().replace(day=1)
        )
    except ValueError:
        raise Http404 from None


@login_required
def screening(request, code: str):
    area = area_or_404(request.user, code, VIEW_CASES)
    month = _month(request)
    result = screening_of(area, month)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    return render(
        request,
        "mediation/screening.html",
        {
            "area": area,
            "month": month,
            "previous": previous,
            "s": result,
            "may_export": can(request.user, TerritoryCapability.EXPORT, area),
        },
    )


@login_required
@reads_from_replica()
def screening_export(request, code: str):
    area = area_or_404(request.user, code, TerritoryCapability.EXPORT)
    month = _month(request)
    result = screening_of(area, month)
    # Case summaries and household addresses: personal data, above the limit by approval.
    rows = len(result.cases) + len(result.overdue) + len(result.households)
    gate = export_gate(request, kind=ExportKind.SCREENING, area=area, rows=rows)
    if not isinstance(gate, Watermark):
        return gate
    book = Workbook()
    sheet = book.active
    sheet.title = _("Cases")[:31]
    sheet.append(
        [_("Grid"), _("Opened"), _("Type"), _("Risk"), _("Status"), _("Summary"), _("Mediator")]
    )
    for case in result.cases:
        sheet.append(
            [
                case.grid.name,
                timezone.localtime(case.opened_at).strftime("%Y-%m-%d"),
                case.get_type_display(),
                case.get_risk_display(),
                case.get_status_display(),
                case.summary,
                str(case.studio or case.mediator or ""),
            ]
        )
    overdue = book.create_sheet(_("Follow-ups overdue")[:31])
    overdue.append([_("Grid"), _("Closed"), _("Follow-up due"), _("Type"), _("Summary")])
    for case in result.overdue:
        overdue.append(
            [
                case.grid.name,
                timezone.localtime(case.closed_at).strftime("%Y-%m-%d"),
                case.follow_up_due.isoformat(),
                case.get_type_display(),
                case.summary,
            ]
        )
    homes = book.create_sheet(_("Households")[:31])
    homes.append([_("Grid"), _("Address"), _("Visited")])
    for household, when in result.households:
        homes.append(
            [household.grid.name, household.address, timezone.localtime(when).strftime("%Y-%m-%d")]
        )
    return xlsx_response(book, f"screening-{area.code}-{month:%Y-%m}.xlsx", watermark=gate)
