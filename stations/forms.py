from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField
from grids.models import Area
from grids.scope import path_q, scope_paths
from stations.models import (
    STATION_LEVELS,
    ActivityKind,
    Facility,
    Item,
    Kind,
    ServiceType,
    Station,
)
from stations.policy import StationCapability
from stations.services import staff_candidates

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StationForm(forms.ModelForm):
    """Add or edit a station. Areas and staff on offer are those the user may manage."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    services = forms.ModelMultipleChoiceField(
        label=_("Services offered"),
        queryset=ServiceType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    facilities = forms.ModelMultipleChoiceField(
        label=_("Facilities"),
        queryset=Facility.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_('The "十有" / "八个一" checklist: tick what the station has.'),
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("Staff on duty"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their names are shown on the public page; their phone numbers never."),
    )

    class Meta:
        model = Station
        fields = [
            "code",
            "name",
            "kind",
            "area",
            "address",
            "longitude",
            "latitude",
            "opening_hours",
            "phone",
            "description",
            "is_open",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, within: Area, **kwargs):
        super().__init__(*args, **kwargs)
        paths = scope_paths(user, StationCapability.MANAGE_STATIONS)
        areas = Area.objects.under(within).filter(level__in=sorted(STATION_LEVELS))
        if paths is not None:
            # Only areas this user manages: another area's id in a crafted POST is refused.
            areas = areas.filter(path_q(paths, "path"))
        self.fields["area"].queryset = areas.order_by("path")
        self.fields["area"].label_from_instance = lambda a: f"{a.name} · {a.get_level_display()}"
        self.fields["services"].queryset = ServiceType.objects.filter(active=True)
        self.fields["facilities"].queryset = Facility.objects.filter(active=True)
        staff_area = self.instance.area if self.instance.pk else within
        self.fields["staff"].queryset = staff_candidates(staff_area)
        for name in ("longitude", "latitude"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Permanent: it is printed on QR posters.")
            if not self.is_bound:
                self.initial["version"] = self.instance.version
                self.initial["services"] = list(self.instance.services.all())
                self.initial["facilities"] = list(self.instance.facilities.all())
                self.initial["staff"] = list(self.instance.staff.all())
        else:
            self.fields["kind"].initial = Kind.GRID_STATION
            if within.level in STATION_LEVELS:
                self.fields["area"].initial = within.pk


PASS_CHOICES = [("1", _("Passed")), ("0", _("Failed"))]


class InspectionForm(forms.Form):
    """The seven "四有三规范" items, each passed or failed, with an optional note and photo."""

    inspected_on = forms.DateField(
        label=_("Inspected on"), initial=timezone.localdate, widget=_date_widget()
    )
    note = forms.CharField(
        label=_("Overall note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in Item:
            self.fields[f"passed_{item.value}"] = forms.TypedChoiceField(
                label=item.label,
                choices=PASS_CHOICES,
                coerce=lambda value: value == "1",
                widget=forms.RadioSelect,
                error_messages={"required": _("Judge this item: passed or failed.")},
            )
            self.fields[f"note_{item.value}"] = forms.CharField(
                label=_("Note"), max_length=200, required=False
            )
            self.fields[f"photo_{item.value}"] = forms.FileField(
                label=_("Photo"),
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
            )

    def items(self):
        """(item, passed field, note field, photo field) for the template."""
        return [
            (
                item,
                self[f"passed_{item.value}"],
                self[f"note_{item.value}"],
                self[f"photo_{item.value}"],
            )
            for item in Item
        ]

    def clean_inspected_on(self):
        day = self.cleaned_data["inspected_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("An inspection cannot be in the future."))
        return day

    def results(self) -> dict:
        data = self.cleaned_data
        return {
            item.value: {
                "passed": data[f"passed_{item.value}"],
                "note": data.get(f"note_{item.value}", ""),
                "photo": data.get(f"photo_{item.value}"),
            }
            for item in Item
        }


class ActivityForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=_date_widget())
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("Shown on the station's public page: never name a resident."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    attendance = forms.IntegerField(
        label=_("Attendance"),
        min_value=0,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 6. Shown to staff only: events often show residents' faces."),
    )


class ServedForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    people = forms.IntegerField(
        label=_("People served"),
        min_value=0,
        max_value=10_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_month(self):
        month: dt.date = self.cleaned_data["month"]
        if month.replace(day=1) > timezone.localdate():
            raise forms.ValidationError(_("This month has not begun yet."))
        return month


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT})
    )
    caption = forms.CharField(label=_("Caption"), max_length=100, required=False)


class DirectoryForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "class": "form-control", "placeholder": _("Name or community")}
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices]
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)


class StationSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, code or address")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices]
    )
    standing = forms.ChoiceField(
        label=_("Standardisation"),
        required=False,
        choices=[
            ("", _("Any")),
            ("yes", _("Standardised")),
            ("no", _("Not standardised")),
            ("never", _("Never inspected")),
        ],
    )
