from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts import stepup
from core.personal import RevealReason, normalize_mobile
from grids.models import Area, CareCategory, Household, Post, Resident
from grids.policy import TerritoryCapability
from grids.roles import ROLE_LEVELS, Level


class RevealForm(forms.Form):
    """Why a full value is shown, and the password again when the step-up is not fresh
    (``accounts.stepup``). ``reauthenticated`` says whether the password was asked this time."""

    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *RevealReason.choices], required=True
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Asked once every %(minutes)s minutes."),
    )

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.reauthenticated = False
        self.needs_password = not stepup.is_fresh(request)
        # Who may see personal data must have a second factor (accounts.twofactor): until
        # they set one up, the form only says so.
        self.must_set_up = self.needs_password and stepup.must_set_up(request.user)
        if self.needs_password:
            self.fields["password"].required = True
            self.fields["password"].help_text = self.fields["password"].help_text % {
                "minutes": settings.STEPUP_MINUTES
            }
        else:
            del self.fields["password"]
        if self.needs_password and stepup.needs_code(request.user):
            self.fields["code"].required = True
        else:
            del self.fields["code"]

    def clean(self):
        data = super().clean()
        if self.must_set_up:
            raise forms.ValidationError(
                _("Set up two-step sign-in first: seeing personal data in full needs it."),
                code="second_factor",
            )
        if self.needs_password and data.get("password") and not self.errors:
            if not stepup.confirm(self.request, data["password"], code=data.get("code")):
                # The same words whatever was wrong: the form tells nothing about the account.
                self.add_error(
                    "password",
                    _("That is not your password, or the code is wrong.")
                    if "code" in self.fields
                    else _("That is not your password."),
                )
            else:
                self.reauthenticated = True
        return data

    @property
    def stepup_at(self):
        return stepup.confirmed_at(self.request)


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


def people_search_field() -> forms.CharField:
    """What grids.search answers, said on the field, so nobody types half a given name or a
    whole mobile (the household and the resident lists)."""
    return forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_(
            "A resident's full name or surname, part of an address, the last 4 digits of a "
            "mobile, or a whole ID number."
        ),
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, address, last 4 of a mobile, ID number"),
                "type": "search",
                "aria-describedby": "id_q_help",
            }
        ),
    )


class HouseholdSearchForm(forms.Form):
    q = people_search_field()


class ResidentFilterForm(forms.Form):
    """The resident list's search and filters: who to find (as the household search), who is
    in a care category (重点人群), and who has moved out or died (kept, not shown by default)."""

    q = people_search_field()
    care = forms.ChoiceField(
        label=_("Care category"),
        required=False,
        choices=[("", _("Everyone")), *CareCategory.choices],
    )
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[*Resident.Status.choices, ("any", _("Any status"))],
    )

    def filters(self) -> dict:
        """The valid filters, each as the view applies it: an invalid field is left out
        (and shown with its error), the rest still apply."""
        data = getattr(self, "cleaned_data", {})
        return {
            "q": (data.get("q") or "").strip(),
            "care": data.get("care") or "",
            "status": data.get("status") or Resident.Status.LIVING,
        }


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} · {obj.masked_phone}" if obj.phone else str(obj)


class GivePostForm(forms.Form):
    """A post at one area for a person the officer already manages, or a new one."""

    role = forms.ChoiceField(label=_("Role"))
    person = PersonChoiceField(
        label=_("An existing person"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Leave empty to add a new person below."),
    )
    display_name = forms.CharField(label=_("New person: name"), max_length=50, required=False)
    phone = forms.CharField(label=_("New person: mobile number"), max_length=20, required=False)
    username = forms.CharField(
        label=_("New person: user name"),
        max_length=150,
        required=False,
        help_text=_("Empty: the mobile number."),
    )
    activate_by_sms = forms.BooleanField(
        label=_("New person: send an activation code by SMS instead of a temporary password"),
        required=False,
        help_text=_("They open the link or enter the code, choose a password and sign in."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, area: Area, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (value, label) for value, label in Post.Role.choices if area.level in ROLE_LEVELS[value]
        ]
        self.fields["person"].queryset = people

    def clean(self):
        data = super().clean()
        new = data.get("display_name") or data.get("phone") or data.get("username")
        if data.get("person") and new:
            raise forms.ValidationError(_("Pick a person or enter a new one, not both."))
        if not data.get("person") and not new:
            raise forms.ValidationError(_("Pick a person or enter a new one."))
        if new and not (data.get("display_name") and data.get("phone")):
            raise forms.ValidationError(_("A new person needs a name and a mobile number."))
        if new:
            data["phone"] = normalize_mobile(data["phone"])
        return data


class PersonForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)


class CoverForm(forms.Form):
    """AB岗: who covers a grid post while its holder is on leave."""

    post = forms.ModelChoiceField(label=_("Grid post (A)"), queryset=Post.objects.none())
    covered_by = forms.ModelChoiceField(
        label=_("Covered by (B)"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Someone holding a grid post in the same community; empty: nobody."),
    )

    def __init__(self, *args, posts, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = posts
        self.fields["covered_by"].queryset = people


class LeaveDatesForm(forms.Form):
    """Change a recorded leave: its days (both included) and reason."""

    starts_on = forms.DateField(
        label=_("First day of leave"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    ends_on = forms.DateField(
        label=_("Last day of leave"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class LeaveForm(LeaveDatesForm):
    """Record a leave: whose, then its days and reason."""

    user = forms.ModelChoiceField(label=_("Grid worker"), queryset=get_user_model().objects.none())
    field_order = ["user", "starts_on", "ends_on", "reason"]

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
