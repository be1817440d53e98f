"""Joint actions' pages (联合执法 / 联合处置): an area's list, the form that records one (made for
a phone, filled in on the spot), one action's page and its photos. The rules and the writes
are in tickets/joint.py."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import NOT_SAVED, MultipleFileField, submit_form
from core.history import history_for
from grids.access import area_or_404
from grids.views import breadcrumbs
from tickets import joint
from tickets.models import (
    OPEN_STATUSES,
    Department,
    JointAction,
    JointActionPhoto,
    Summons,
    SummonsState,
    Ticket,
)
from tickets.policy import TicketCapability

PAGE_SIZE = 20
# Requests offered as boxes to tick: the area's open ones with departments summoned on them.
OFFERED = 12


class DepartmentsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class TicketsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.short_code} · {obj.matter.name} · {obj.description[:30]}"


class JointActionForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)
    departments = DepartmentsField(
        label=gettext_lazy("Departments present"),
        queryset=Department.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    offered = TicketsField(
        label=gettext_lazy("Requests with departments summoned"),
        queryset=Ticket.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    codes = forms.CharField(
        label=gettext_lazy("Other requests (codes)"),
        help_text=gettext_lazy("The codes of the requests it dealt with, separated by spaces."),
        max_length=1000,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    outcome = forms.CharField(
        label=gettext_lazy("Outcome"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = MultipleFileField(label=gettext_lazy("Photos (up to 6)"), required=False)

    def __init__(self, *args, user, area, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.area = user, area
        summoned = Summons.objects.filter(ticket=OuterRef("pk")).exclude(
            state=SummonsState.WITHDRAWN
        )
        offered = (
            joint.linkable_tickets(user, area)
            .filter(Exists(summoned), status__in=OPEN_STATUSES)
            .select_related("matter")
            .order_by("-submitted_at")
        )
        self.fields["offered"].queryset = offered
        # Evaluated once for the boxes; a posted choice is checked against the same rule.
        self.fields["offered"].choices = [
            (ticket.pk, self.fields["offered"].label_from_instance(ticket))
            for ticket in offered[:OFFERED]
        ]
        if not self.fields["offered"].choices:
            del self.fields["offered"]

    def clean_codes(self) -> list[str]:
        return [
            code.upper() for code in re.split(r"[\s,，、;；]+", self.cleaned_data["codes"]) if code
        ]

    def clean(self):
        data = super().clean()
        codes = data.get("codes") or []
        found = (
            {
                ticket.short_code: ticket
                for ticket in joint.linkable_tickets(self.user, self.area).filter(
                    short_code__in=codes
                )
            }
            if codes
            else {}
        )
        unknown = [code for code in codes if code not in found]
        if unknown:
            self.add_error(
                "codes",
                _("No request of %(area)s has the code %(codes)s.")
                % {"area": self.area.name, "codes": ", ".join(unknown)},
            )
        data["tickets"] = [*(data.get("offered") or []), *found.values()]
        if not unknown and not data["tickets"] and "codes" not in self.errors:
            self.add_error("codes", _("Link at least one request."))
        return data


@login_required
def joint_actions(request, code):
    """An area's joint actions, newest first, twenty a page."""
    area = area_or_404(request.user, code, levels=joint.LEVELS)
    page = Paginator(joint.for_area(request.user, area), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "tickets/joint_actions.html",
        {
            "area": area,
            "page": page,
            "may_record": joint.may_record(request.user, area),
            "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
        },
    )


@login_required
def joint_action_new(request, code):
    area = area_or_404(request.user, code, TicketCapability.DISPATCH_TICKETS, levels=joint.LEVELS)
    initial = {"date": timezone.localdate(), "codes": request.GET.get("ticket", "")[:20]}
    form = JointActionForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        area=area,
        initial=initial,
    )
    fields = ("date", "place", "departments", "outcome", "tickets", "photos")
    action = submit_form(
        request,
        form,
        lambda data, _v: joint.record(
            by=request.user, area=area, **{key: data[key] for key in fields}
        ),
        _("Joint action recorded."),
    )
    if action is not NOT_SAVED:
        return redirect("joint_action_detail", pk=action.pk)
    return render(
        request,
        "tickets/joint_action_form.html",
        {
            "form": form,
            "area": area,
            "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
        },
    )


@login_required
def joint_action_detail(request, pk):
    """One joint action, with the linked requests the viewer may see."""
    action = get_object_or_404(
        JointAction.objects.visible_to(request.user)
        .select_related("area", "recorded_by")
        .prefetch_related(
            Prefetch("departments", queryset=Department.objects.order_by("code")),
            "photos",
            Prefetch(
                "tickets",
                queryset=Ticket.objects.visible_to(request.user)
                .select_related("matter")
                .order_by("-submitted_at"),
                to_attr="visible_tickets",
            ),
        ),
        pk=pk,
    )
    return render(
        request,
        "tickets/joint_action_detail.html",
        {
            "action": action,
            "area": action.area,
            "history": history_for(action),
            "breadcrumbs": [*breadcrumbs(request, action.area), (action.area, True)],
        },
    )


@login_required
def joint_action_photo(request, pk):
    picture = get_object_or_404(JointActionPhoto, pk=pk)
    if not JointAction.objects.visible_to(request.user).filter(pk=picture.action_id).exists():
        raise Http404
    return picture.serve()
