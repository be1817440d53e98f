"""The retention page (district staff set how long each kind of record is kept) and the
printout of what is held about one resident (grids/privacy.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from core import retention
from core.clientip import client_ip
from core.forms import apply_errors
from core.models import RetentionRun
from grids import privacy
from grids.models import Resident, ResidentCare

PERSONAL_PAGE = cache_control(private=True, no_store=True)


class RetentionForm(forms.Form):
    """One number of days per kind of record, its floor the field's minimum."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = retention.configured_days()
        for kind in retention.kinds():
            self.fields[kind.key] = forms.IntegerField(
                label=kind.label,
                initial=days[kind.key],
                # The floor is checked by the service, with the reason in its message.
                min_value=1,
                max_value=100 * 365,
            )


@login_required
def retention_settings(request):
    if not privacy.may_set_retention(request.user):
        raise Http404
    form = RetentionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = privacy.set_retention(by=request.user, periods=form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Retention periods saved.") if changed else _("Nothing was changed."),
            )
            return redirect("retention_settings")
    kinds = [(kind, form[kind.key]) for kind in retention.kinds()]
    return render(
        request,
        "grids/retention.html",
        {
            "form": form,
            "kinds": kinds,
            "last_run": RetentionRun.objects.first(),
        },
    )


@login_required
@PERSONAL_PAGE
def subject_access(request, pk):
    """Everything held about one resident, in full, to print and hand to them."""
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user)
        .select_related("household__grid", "household__micro_grid")
        .prefetch_related(Prefetch("care", queryset=ResidentCare.objects.order_by("category"))),
        pk=pk,
    )
    if not privacy.may_print_subject_access(request.user, resident):
        raise PermissionDenied  # they see the household, masked: not the person's full data
    privacy.record_subject_access(
        by=request.user, resident=resident, remote_addr=client_ip(request)
    )
    return render(
        request,
        "grids/subject_access.html",
        {
            "resident": resident,
            "household": resident.household,
            "sections": privacy.subject_sections(resident, request.user),
            "printed_at": timezone.now(),
        },
    )
