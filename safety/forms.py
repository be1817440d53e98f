from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField
from safety.services import Answer

PASS, FAIL = "pass", "fail"


class PatrolForm(forms.Form):
    """One pass/fail choice per checklist item, a note and photos when it fails."""

    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    responsible_name = forms.CharField(
        label=_("Responsible party (owner or manager)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    responsible_phone = forms.CharField(
        label=_("Responsible party's phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "off", "class": "form-control"}
        ),
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=item.text,
                choices=[(PASS, _("Pass")), (FAIL, _("Fail"))],
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("What is wrong"), required=False, max_length=500
            )
            self.fields[f"photo_{item.pk}"] = MultipleFileField(label=_("Photo"), required=False)

    def rows(self):
        return [
            (item, self[f"item_{item.pk}"], self[f"note_{item.pk}"], self[f"photo_{item.pk}"])
            for item in self.items
        ]

    def answers(self) -> list[Answer]:
        data = self.cleaned_data
        return [
            Answer(
                item_id=item.pk,
                passed=data[f"item_{item.pk}"] == PASS,
                note=data.get(f"note_{item.pk}") or "",
                photos=data.get(f"photo_{item.pk}") or [],
            )
            for item in self.items
        ]


class FixedForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=500)


class RecheckForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Re-check"),
        choices=[("1", _("Fixed: close the hazard")), ("0", _("Not fixed: set a new date"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    fix_by = forms.DateField(
        label=_("New fix-by date"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
    )


class HazardFilter(forms.Form):
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("open", _("Open")),
            ("overdue", _("Overdue")),
            ("major", _("Major")),
            ("all", _("All")),
        ],
    )
