from django import forms
from django.utils.translation import gettext_lazy as _


class RatingForm(forms.Form):
    """One field per active item of the standard (``item_<pk>``), a note."""

    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        fields = {}
        for item in items:
            fields[f"item_{item.pk}"] = forms.DecimalField(
                label=item.text,
                min_value=0,
                max_value=item.max_score,
                decimal_places=1,
                help_text=_("out of %(max)s") % {"max": item.max_score},
                widget=forms.NumberInput(
                    attrs={"inputmode": "decimal", "step": "0.5", "class": "form-control"}
                ),
            )
        self.fields = {**fields, **self.fields}
        self.fields["note"].widget.attrs["class"] = "form-control"

    def item_fields(self):
        return [(item, self[f"item_{item.pk}"]) for item in self.items]

    def scores(self) -> dict[int, object]:
        return {item.pk: self.cleaned_data.get(f"item_{item.pk}") for item in self.items}
