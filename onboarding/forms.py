from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.spec import Kind


def option_field_name(kind: Kind, key: str) -> str:
    return f"{kind.name}__{key}"


class UploadForm(forms.Form):
    """A file for one of the kinds the user may import here, with that kind's options.

    Every kind's options are fields of the one form (the page shows those of the chosen kind);
    only the chosen kind's reach ``cleaned_data["options"]``.
    """

    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.geojson,.json"}),
    )

    def __init__(self, *args, kinds: list[Kind], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = {kind.name: kind for kind in kinds}
        self.fields["kind"].choices = [(kind.name, kind.label) for kind in kinds]
        self.option_fields: list[tuple[Kind, forms.BoundField]] = []
        for kind in kinds:
            for option in kind.options:
                name = option_field_name(kind, option.key)
                if option.choices is not None:
                    field: forms.Field = forms.ChoiceField(
                        label=option.label, choices=option.choices, required=False
                    )
                else:
                    field = forms.CharField(label=option.label, max_length=100, required=False)
                field.initial = option.default
                field.help_text = option.help
                field.kind = kind.name
                self.fields[name] = field
                self.option_fields.append((kind, self[name]))

    def clean(self):
        data = super().clean()
        kind = self.kinds.get(data.get("kind") or "")
        options = {}
        if kind is not None:
            for option in kind.options:
                name = option_field_name(kind, option.key)
                value = (data.get(name) or "").strip() or option.default
                if option.required and not value:
                    self.add_error(name, _("This field is required."))
                options[option.key] = value
        data["options"] = options
        # The other kinds' options were not asked for: whatever came in them is no error.
        for other, bound in self.option_fields:
            if other is not kind:
                self._errors.pop(bound.name, None)
        return data
