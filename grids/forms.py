from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField
from grids.models import (
    VISIT_TAGS,
    Area,
    CareCategory,
    Household,
    Place,
    Post,
    Resident,
    VisitKind,
)
from grids.policy import TerritoryCapability
from grids.roles import Level


class VersionedForm(forms.ModelForm):
    """Carries the version the user started from, so a stale save is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


class HouseholdForm(VersionedForm):
    class Meta:
        model = Household
        fields = ["grid", "micro_grid", "address", "longitude", "latitude", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, within: Area, **kwargs):
        super().__init__(*args, **kwargs)
        # Only grids where this user may edit: another grid's id in a crafted POST is refused.
        editable = Area.objects.visible_to(user, TerritoryCapability.EDIT_HOUSEHOLDS).under(within)
        self.fields["grid"].queryset = editable.filter(level=Level.GRID)
        self.fields["micro_grid"].queryset = editable.filter(level=Level.MICRO_GRID)
        self.fields["grid"].empty_label = None if within.level == Level.GRID else "—"
        for name in ("longitude", "latitude"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})


class ResidentForm(VersionedForm):
    # Wider than stored: the model normalises "+86 138-…" and spaces before validating.
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=24,
        required=False,
        help_text=_("Resident identity card number, 18 characters."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    care = forms.MultipleChoiceField(
        label=_("Care categories"),
        choices=CareCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Resident
        fields = ["name", "relationship", "id_number", "phone", "gender", "birth_date", "status"]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "gender": _("Filled from the ID number when one is given."),
            "birth_date": _("Filled from the ID number when one is given."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["care"] = list(self.instance.care.values_list("category", flat=True))


class PostForm(forms.Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        help_text=_("The account must exist already; ask the administrator to create it."),
    )
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Post.Role.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, within: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = (
            Area.objects.visible_to(user, TerritoryCapability.MANAGE_POSTS)
            .under(within)
            .filter(depth__lte=within.depth + 1)
        )
        self.fields["area"].initial = within.pk

    def clean_username(self):
        User = get_user_model()
        try:
            return User.objects.get(username=self.cleaned_data["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise forms.ValidationError(
                _("There is no active account with this user name.")
            ) from exc


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Address, name or last 4 digits of a phone"),
                "type": "search",
            }
        ),
    )


class VisitForm(forms.Form):
    """What a grid worker records at the door; grids.visits.log_visit does the rest."""

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
