"""Forms residents fill in without an account: a request, a micro-wish, a review, a lookup.

They check what a browser can get wrong (shape of a mobile number, number of photos,
coordinates); everything else (routing, photo contents, the state machine) is
``tickets.services``'s job, so the API and staff pages get the same rules.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField
from core.personal import normalize_mobile, validate_mobile
from tickets.models import WISH_MATTER, Matter
from tickets.services import MAX_PHOTOS

DESCRIPTION_MAX = 2000


class Honeypot(forms.CharField):
    """Bots fill every field; people never see this one (see ``.hp-field``)."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(
                attrs={"autocomplete": "off", "tabindex": "-1", "class": "hp-field"}
            ),
            **kwargs,
        )


class MobileField(forms.CharField):
    """A mainland mobile number, stored without spaces, hyphens or +86."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = normalize_mobile(super().clean(value))
        if value:
            validate_mobile(value)
        return value


class GroupedMatterField(forms.ModelChoiceField):
    """One ``<select>`` with an ``<optgroup>`` per category: works without JavaScript."""

    def group(self) -> None:
        # Read when the form is shown, not when a posted one is checked (a callable's
        # choices are evaluated as they are iterated).
        self.choices = self._groups

    def _groups(self) -> list:
        groups: dict[str, list[tuple[int, str]]] = {}
        for matter in self.queryset.select_related("category").order_by(
            "category__order", "category__code", "code"
        ):
            groups.setdefault(matter.category.name, []).append((matter.pk, matter.name))
        return [("", _("Choose what it is about")), *groups.items()]


class PublicReportForm(forms.Form):
    """What every public intake form shares: description, photos, who to call back."""

    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = MultipleFileField(
        label=_("Photos (optional, up to 3)"),
        required=False,
        help_text=_("Photos only. They are checked, shrunk and stripped of location data."),
    )
    reporter_name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reporter_phone = MobileField(
        label=_("Your mobile number"),
        help_text=_("Only the community sees it, to call you back about this request."),
        error_messages={"required": _("Give a mobile number so we can reach you.")},
    )
    website = Honeypot()

    def clean_description(self):
        value = self.cleaned_data["description"].strip()
        if len(value) < 4:
            raise ValidationError(_("Say a little more: what is it, and where?"))
        return value

    def clean_photos(self):
        photos = self.cleaned_data["photos"]
        if len(photos) > MAX_PHOTOS:
            raise ValidationError(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
        return photos

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class ResidentRequestForm(PublicReportForm):
    """群众点单: a request sent from the grid's QR code."""

    matter = GroupedMatterField(
        label=_("What is it about?"),
        queryset=Matter.objects.filter(active=True, category__active=True).exclude(
            code=WISH_MATTER
        ),
        empty_label=None,
        error_messages={"required": _("Choose what your request is about.")},
    )
    address = forms.CharField(
        label=_("Where exactly? (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Building, entrance, floor, landmark")}),
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )

    field_order = [
        "matter",
        "description",
        "address",
        "photos",
        "reporter_name",
        "reporter_phone",
        "longitude",
        "latitude",
        "website",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matter"].group()

    def clean(self):
        data = super().clean()
        if (data.get("longitude") is None) != (data.get("latitude") is None):
            # A half-filled position is a glitch of the browser: drop it, keep the request.
            data["longitude"] = data["latitude"] = None
        return data


class WishForm(PublicReportForm):
    """微心愿: a small wish for the community's wish wall."""

    description = forms.CharField(
        label=_("Your wish"),
        max_length=500,
        help_text=_(
            "Everyone can read it on the wall: do not write names, phone numbers or addresses."
        ),
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": _("For example: someone to read with my child on Saturday mornings"),
            }
        ),
    )

    address = forms.CharField(
        label=_("Where can a helper find you? (optional, not shown on the wall)"),
        max_length=200,
        required=False,
    )

    field_order = ["description", "address", "photos", "reporter_name", "reporter_phone"]

    def clean_description(self):
        value = self.cleaned_data["description"].strip()
        if len(value) < 4:
            raise ValidationError(_("Say a little more about your wish."))
        return value


class RatingForm(forms.Form):
    """The resident's review of a resolved request (1–5 stars)."""

    STARS = [(n, "★" * n) for n in range(1, 6)]

    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=STARS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from 1 to 5 stars.")},
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


_CODE_NOISE = re.compile(r"[\s\-]")


class LookupForm(forms.Form):
    """Find a request by its short code and the mobile number given with it."""

    code = forms.CharField(
        label=_("Request code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "text-uppercase font-monospace",
            }
        ),
    )
    phone = MobileField(label=_("Mobile number you gave"))

    def clean_code(self):
        return _CODE_NOISE.sub("", self.cleaned_data["code"]).upper()
