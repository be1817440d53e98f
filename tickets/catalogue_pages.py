"""The catalogue of matters (事项清单) and the departments that take them: district staff list,
add, change, deactivate and reactivate them here, through the same services as the admin
(tickets/services.py). Anyone else gets a 404: there is nothing of theirs here.

Changing a matter does not touch open requests' deadlines: the response deadline is set when
a request is submitted, the completion deadline when it is accepted.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.concurrency import ConcurrentEdit
from core.forms import NOT_SAVED, submit_form
from core.history import history_for
from tickets import services
from tickets.forms import DepartmentForm, MatterForm
from tickets.models import FINAL_STATUSES, Category, Department, Matter
from tickets.policy import may_manage_catalogue


def _require_manager(user) -> None:
    if not may_manage_catalogue(user):
        raise Http404


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
def catalogue(request):
    _require_manager(request.user)
    matters = Matter.objects.select_related("category", "department").order_by(
        "-active", "category__order", "code"
    )
    departments = Department.objects.annotate(
        matter_count=Count("matters", filter=Q(matters__active=True))
    ).order_by("-active", "code")
    return render(
        request,
        "tickets/catalogue.html",
        {
            "matters": matters,
            "departments": departments,
            "categories": Category.objects.order_by("order", "code"),
        },
    )


def _matter_form(request, matter: Matter | None):
    form = MatterForm(request.POST or None, instance=matter or Matter())
    if matter is None:
        saved = submit_form(
            request,
            form,
            lambda data, _version: services.create_matter(by=request.user, **data),
            _("Matter added to the catalogue."),
        )
    else:
        saved = submit_form(
            request,
            form,
            lambda data, version: services.update_matter(
                by=request.user,
                matter=matter,
                expected_version=version,
                **{k: v for k, v in data.items() if k != "code"},
            ),
            _("Matter saved. Deadlines already set on open requests stay as they were."),
        )
    return form, saved


@login_required
def matter_new(request):
    _require_manager(request.user)
    form, saved = _matter_form(request, None)
    if saved is not NOT_SAVED:
        return redirect("matter_edit", pk=saved.pk)
    return render(request, "tickets/matter_form.html", {"form": form, "matter": None})


@login_required
def matter_edit(request, pk):
    _require_manager(request.user)
    matter = get_object_or_404(Matter.objects.select_related("category", "department"), pk=pk)
    form, saved = _matter_form(request, matter)
    if saved is not NOT_SAVED:
        return redirect("matter_edit", pk=matter.pk)
    if form.errors:
        # The form changed the instance it validated: show the saved row's state.
        matter.refresh_from_db()
    return render(
        request,
        "tickets/matter_form.html",
        {
            "form": form,
            "matter": matter,
            "open_requests": matter.tickets.exclude(status__in=FINAL_STATUSES).count(),
            "history": history_for(matter),
        },
    )


def _toggle(request, write, on: str, off: str):
    active = request.POST.get("active") == "1"
    try:
        write(by=request.user, active=active, expected_version=_version(request))
    except ConcurrentEdit as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, on if active else off)


@login_required
@require_POST
def matter_active(request, pk):
    _require_manager(request.user)
    matter = get_object_or_404(Matter.objects.select_related("department"), pk=pk)
    _toggle(
        request,
        lambda **kw: services.set_matter_active(matter=matter, **kw),
        _("Matter reactivated: residents and staff can choose it again."),
        _("Matter deactivated: no new requests of it; open ones go on."),
    )
    return redirect("matter_edit", pk=matter.pk)


def _department_form(request, department: Department | None):
    form = DepartmentForm(request.POST or None, instance=department or Department())
    if department is None:
        saved = submit_form(
            request,
            form,
            lambda data, _version: services.create_department(by=request.user, **data),
            _("Department added."),
        )
    else:
        saved = submit_form(
            request,
            form,
            lambda data, version: services.update_department(
                by=request.user,
                department=department,
                expected_version=version,
                **{k: v for k, v in data.items() if k != "code"},
            ),
            _("Department saved."),
        )
    return form, saved


@login_required
def department_new(request):
    _require_manager(request.user)
    form, saved = _department_form(request, None)
    if saved is not NOT_SAVED:
        return redirect("department_edit", pk=saved.pk)
    return render(request, "tickets/department_form.html", {"form": form, "department": None})


@login_required
def department_edit(request, pk):
    _require_manager(request.user)
    department = get_object_or_404(Department, pk=pk)
    form, saved = _department_form(request, department)
    if saved is not NOT_SAVED:
        return redirect("department_edit", pk=department.pk)
    if form.errors:
        department.refresh_from_db()
    return render(
        request,
        "tickets/department_form.html",
        {
            "form": form,
            "department": department,
            "matters": department.matters.select_related("category").order_by("code"),
            "history": history_for(department),
        },
    )


@login_required
@require_POST
def department_active(request, pk):
    _require_manager(request.user)
    department = get_object_or_404(Department, pk=pk)
    _toggle(
        request,
        lambda **kw: services.set_department_active(department=department, **kw),
        _("Department reactivated."),
        _("Department deactivated."),
    )
    return redirect("department_edit", pk=department.pk)
