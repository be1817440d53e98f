"""Co-handling on a request's page (吹哨报到 with several departments): the officer's summons
form, each department's 报到 and part, the street's override. The services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets import joint, selectors, services
from tickets.forms import OverrideForm, PartForm, SummonForm, rendered_fields
from tickets.models import Department, Summons, Ticket


def _ticket(request, code: str) -> Ticket:
    return get_object_or_404(
        Ticket.objects.visible_to(request.user).select_related("area", "matter", "department"),
        short_code=code.upper(),
    )


def _back(ticket: Ticket):
    return redirect(f"{reverse('ticket_detail', args=[ticket.short_code])}#departments")


def _form_errors(request, form) -> None:
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))


def panel(user, ticket: Ticket, departments=None) -> dict:
    """The page's departments panel: each summons with what the user may do to it, and the
    summons and override forms when the user may use them. At most one query, none for a
    request never summoned (``ticket.has_summonses``, when the page's query says so);
    ``departments``, when given, returns the active departments the page has read."""
    summonses = []
    if getattr(ticket, "has_summonses", True):
        summonses = list(
            selectors.summonses_of(ticket).annotate(
                mine=Exists(
                    Department.members.through.objects.filter(
                        department_id=OuterRef("department_id"), user_id=user.pk
                    )
                )
            )
        )
    member_of = {summons.department_id for summons in summonses if summons.mine}
    rows = []
    for summons in summonses:
        summons.ticket = ticket
        actions = services.summons_actions(user, summons, member_of=member_of)
        rows.append(
            {
                "summons": summons,
                "actions": actions,
                "part_form": rendered_fields(PartForm()) if "report" in actions else None,
            }
        )
    allowed = services.cohandling_actions(user, ticket, summonses) if ticket.is_open else []
    record_at = (
        joint.record_area(user, ticket.area)
        if any(s.state != "withdrawn" for s in summonses)
        else None
    )
    summoning = services.SUMMON in allowed and not any(s.state != "withdrawn" for s in summonses)
    summon_form = None
    if summoning:
        form = SummonForm()
        listed = (
            departments()
            if departments is not None
            else list(Department.objects.filter(active=True).order_by("code"))
        )
        # The departments read once for both fields (and by the page, when it gives them).
        choices = [(d.pk, d.name) for d in listed]
        form.fields["lead"].choices = [("", "---------"), *choices]
        form.fields["co"].choices = choices
        summon_form = rendered_fields(form, choices=choices)
    return {
        "summonses": rows,
        "summon_form": summon_form,
        "override_form": rendered_fields(OverrideForm()) if services.OVERRIDE in allowed else None,
        # The joint action form at the nearest street or community where the user records
        # them, with this request filled in (never offered to someone it would refuse).
        "joint_action_url": f"{reverse('joint_action_new', args=[record_at.code])}"
        f"?ticket={ticket.short_code}"
        if record_at is not None
        else None,
    }


@login_required
@require_POST
def summon(request, code):
    ticket = _ticket(request, code)
    if services.SUMMON not in services.cohandling_actions(request.user, ticket):
        raise PermissionDenied
    form = SummonForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(ticket)
    data = form.cleaned_data
    try:
        services.summon(
            by=request.user,
            ticket=ticket,
            lead=data["lead"],
            co=list(data["co"]),
            reason=data["reason"],
            acknowledge_hours=data["acknowledge_hours"],
            completion_hours=data["completion_hours"],
            expected_version=data["version"],
        )
    except services.StaleTicket as error:
        messages.warning(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Departments summoned (吹哨)."))
    return _back(ticket)


@login_required
@require_POST
def override(request, code):
    ticket = _ticket(request, code)
    if services.OVERRIDE not in services.cohandling_actions(request.user, ticket):
        raise PermissionDenied
    form = OverrideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(ticket)
    data = form.cleaned_data
    try:
        services.override_cohandling(
            by=request.user,
            ticket=ticket,
            reason=data["reason"],
            result=data["result"],
            expected_version=data["version"],
        )
    except services.StaleTicket as error:
        messages.warning(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The missing parts are no longer waited for."))
    return _back(ticket)


def _summons(request, code: str, pk: int) -> Summons:
    ticket = _ticket(request, code)
    summons = get_object_or_404(Summons.objects.select_related("department"), pk=pk, ticket=ticket)
    summons.ticket = ticket
    return summons


@login_required
@require_POST
def summons_acknowledge(request, code, pk):
    summons = _summons(request, code, pk)
    if "acknowledge" not in services.summons_actions(request.user, summons):
        raise PermissionDenied
    try:
        services.acknowledge_summons(
            by=request.user, summons=summons, expected_version=_version(request)
        )
    except services.StaleTicket as error:
        messages.warning(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(department)s acknowledged (报到).") % {"department": summons.department.name},
        )
    return _back(summons.ticket)


@login_required
@require_POST
def summons_report(request, code, pk):
    summons = _summons(request, code, pk)
    if "report" not in services.summons_actions(request.user, summons):
        raise PermissionDenied
    form = PartForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(summons.ticket)
    data = form.cleaned_data
    try:
        services.report_part(
            by=request.user,
            summons=summons,
            report=data["report"],
            photos=data["photos"],
            expected_version=data["version"],
        )
    except services.StaleTicket as error:
        messages.warning(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your department's part is reported."))
    return _back(summons.ticket)


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None
