"""Large list exports of personal data: an approval one level up, a watermark, the audit.

A list export of up to ``EXPORT_APPROVAL_ROWS`` rows downloads at once, watermarked
(``core.exports.Watermark``). A larger one is first asked for, with a reason; an officer who
exports at the area one level up decides it (a community's list: its street's staff or the
district's; a district-wide list: another district officer), never the requester. Approved,
the same list (same export, area and filters) downloads for the requester until
``EXPORT_APPROVAL_HOURS`` have passed, each download counted and logged.

The export views of every app call ``export_gate`` with their row count before building the
file: it answers with the watermark to use, or with the page asking for approval.
"""

from __future__ import annotations

import datetime as dt

from auditlog.models import LogEntry
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import twofactor
from core.clientip import client_ip
from core.exports import Watermark
from grids.models import Area, ExportApproval, ExportKind
from grids.policy import TerritoryCapability
from grids.scope import can, scope_paths

Status = ExportApproval.Status
# Not filters: the approval's number, and the request form's own fields.
_NOT_FILTERS = ("approval", "reason", "csrfmiddlewaretoken")


def widest_area(user, capability: str) -> Area:
    """The widest area where ``user`` holds ``capability``: what a list not taken from one
    area's page (the dispatch board's) covers. Everywhere (a superuser): the top area."""
    paths = scope_paths(user, capability)
    if not paths:
        return Area.objects.filter(depth=1).order_by("path").first()
    return Area.objects.get(path=min(paths, key=lambda path: (len(path), path)))


def approver_area(area: Area) -> Area:
    """Where an export of ``area`` is decided: one level up; a district's at the district."""
    if area.depth <= 1:
        return area
    return Area.objects.get(path=area.path[: -Area.steplen])


def filters_of(query: QueryDict) -> str:
    """The export's filters as a stable string: the approval is for this list, not another."""
    kept = query.copy()
    for name in _NOT_FILTERS:
        kept.pop(name, None)
    return "&".join(sorted(kept.urlencode().split("&"))) if kept else ""


def lacks_second_factor(user) -> bool:
    """Long lists of personal data are only for users with a second factor when the rule
    requires one of them (grids.privacy.needs_second_factor): neither asked for nor
    downloaded without it, whichever way the request comes."""
    return twofactor.required_for(user) and not twofactor.has_device(user)


def may_decide(user, approval: ExportApproval) -> bool:
    return (
        user.is_authenticated
        and approval.requester_id != user.pk
        and can(user, TerritoryCapability.EXPORT, approval.approver_area)
    )


@transaction.atomic
def request_export(
    *,
    by,
    kind: str,
    area: Area,
    path: str,
    query: str,
    rows: int,
    reason: str,
    capability: str = TerritoryCapability.EXPORT,
) -> ExportApproval:
    """A pending request; asking again for the same list while one waits returns that one.
    ``capability`` is what the export itself requires at ``area``."""
    if not can(by, capability, area) or lacks_second_factor(by):
        raise PermissionDenied(_("You do not have permission to do this here."))
    waiting = ExportApproval.objects.filter(
        requester=by, kind=kind, area=area, query=query, status=Status.PENDING
    ).first()
    if waiting is not None:
        return waiting
    approval = ExportApproval(
        requester=by,
        kind=kind,
        area=area,
        approver_area=approver_area(area),
        path=path,
        query=query[:500],
        rows=rows,
        reason=reason.strip(),
    )
    approval.full_clean()
    approval.save()
    return approval


def _decidable(by, approval: ExportApproval) -> ExportApproval:
    approval = ExportApproval.objects.select_for_update().get(pk=approval.pk)
    if not may_decide(by, approval):
        raise PermissionDenied(_("You do not have permission to do this here."))
    if approval.status != Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return approval


@transaction.atomic
def approve_export(*, by, approval: ExportApproval, note: str = "") -> ExportApproval:
    approval = _decidable(by, approval)
    now = timezone.now()
    approval.status = Status.APPROVED
    approval.decided_by = by
    approval.decided_at = now
    approval.decision_note = note.strip()
    approval.expires = now + dt.timedelta(hours=settings.EXPORT_APPROVAL_HOURS)
    approval.full_clean()
    approval.save()
    return approval


@transaction.atomic
def refuse_export(*, by, approval: ExportApproval, note: str = "") -> ExportApproval:
    approval = _decidable(by, approval)
    approval.status = Status.REFUSED
    approval.decided_by = by
    approval.decided_at = timezone.now()
    approval.decision_note = note.strip()
    approval.full_clean()
    approval.save()
    return approval


@transaction.atomic
def record_download(
    *, by, pk: int, kind: str, area: Area, query: str, rows: int, remote_addr: str | None = None
) -> ExportApproval | None:
    """The requester's usable approval ``pk`` for this very list, counted and logged; None
    when there is none (another user's, another list's, refused, expired)."""
    approval = (
        ExportApproval.objects.select_for_update()
        .filter(pk=pk, requester=by, kind=kind, area=area, query=query)
        .first()
    )
    if approval is None or not approval.usable or lacks_second_factor(by):
        return None
    ExportApproval.objects.filter(pk=approval.pk).update(downloads=F("downloads") + 1)
    LogEntry.objects.log_create(
        approval,
        action=LogEntry.Action.ACCESS,
        force_log=True,
        actor=by,
        remote_addr=remote_addr,
        additional_data={"downloaded": kind, "rows": rows, "approval": approval.pk},
        changes={},
    )
    return approval


class ExportRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you need this list?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def export_gate(
    request,
    *,
    kind: str,
    area: Area,
    rows: int,
    capability: str = TerritoryCapability.EXPORT,
) -> Watermark | HttpResponse:
    """The watermark for this download, or the page (a response) asking for approval.
    ``area`` is what the list covers; ``capability`` what the export requires there."""
    user = request.user
    if rows <= settings.EXPORT_APPROVAL_ROWS:
        return Watermark.of(user)
    context = {
        "rows": rows,
        "limit": settings.EXPORT_APPROVAL_ROWS,
        "kind_label": ExportKind(kind).label,
        "area": area,
        "approver_area": approver_area(area),
    }
    if lacks_second_factor(user):
        return render(request, "grids/export_needs_approval.html", {**context, "must_set_up": True})
    query = filters_of(request.GET)
    number = request.GET.get("approval", "")
    if number.isdigit():
        approval = record_download(
            by=user,
            pk=int(number),
            kind=kind,
            area=area,
            query=query,
            rows=rows,
            remote_addr=client_ip(request),
        )
        if approval is not None:
            return Watermark.of(user, approval.pk)
    form = ExportRequestForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        approval = request_export(
            by=user,
            kind=kind,
            area=area,
            path=request.path,
            query=query,
            rows=rows,
            reason=form.cleaned_data["reason"],
            capability=capability,
        )
        messages.success(
            request,
            _("Your request #%(number)s is waiting for approval.") % {"number": approval.pk},
        )
        return redirect("export_approvals")
    latest = ExportApproval.objects.filter(
        requester=user, kind=kind, area=area, query=query
    ).first()
    return render(
        request, "grids/export_needs_approval.html", {**context, "form": form, "latest": latest}
    )
