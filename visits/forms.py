from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField
from grids.models import CareCategory
from visits.models import DEFAULT_CARE_DAYS, VISIT_TAGS, Place, VisitKind


class VisitForm(forms.Form):
    """What a grid worker records at the door; visits.services.log_visit does the rest."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    household = forms.IntegerField(required=False, widget=forms.HiddenInput)
    place = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=VisitKind.choices)
    people_met = forms.CharField(label=_("People met"), max_length=200, required=False)
    findings = forms.CharField(
        label=_("What was found"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tags = forms.MultipleChoiceField(
        label=_("Quick picks"),
        choices=list(VISIT_TAGS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    photos = MultipleFileField(label=_("Photos"), required=False)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    # Sent by the offline queue: when the worker pressed Save, not when the signal came back.
    visited_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    follow_up = forms.BooleanField(label=_("Follow-up needed: make it a request"), required=False)
    follow_up_matter = forms.ChoiceField(label=_("Request type"), required=False)

    def clean_visited_at(self):
        moment = self.cleaned_data.get("visited_at")
        if moment is None:
            return None
        now = timezone.now()
        # A phone's clock may be a little ahead; a month is longer than any queue waits.
        if moment > now + dt.timedelta(minutes=10) or moment < now - dt.timedelta(days=30):
            raise forms.ValidationError(_("The time of the visit is not plausible."))
        return min(moment, now)

    def __init__(self, *args, follow_up_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].widget.attrs.update({"capture": "environment"})
        if follow_up_choices:
            self.fields["follow_up_matter"].choices = [("", "---------"), *follow_up_choices]
        else:
            del self.fields["follow_up_matter"]


class PlaceForm(forms.ModelForm):
    class Meta:
        model = Place
        fields = ["name", "kind", "address"]


class VisitPlanForm(forms.Form):
    """An area's visit intervals: every household, and each care category (days)."""

    routine_days = forms.IntegerField(
        label=_("Every household, every (days)"), min_value=1, max_value=366
    )

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        care = plan.care_days_full() if plan is not None else dict(DEFAULT_CARE_DAYS)
        if plan is not None:
            self.fields["routine_days"].initial = plan.routine_days
        for key, label in CareCategory.choices:
            self.fields[f"care_{key}"] = forms.IntegerField(
                label=_("%(category)s, every (days)") % {"category": label},
                min_value=1,
                max_value=366,
                initial=care.get(key, DEFAULT_CARE_DAYS.get(key)),
            )

    def plan_data(self) -> dict:
        data = self.cleaned_data
        return {
            "routine_days": data["routine_days"],
            "care_days": {key: data[f"care_{key}"] for key in CareCategory.values},
        }
