from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.backends import shared_mobile
from accounts.models import User


class ProfileForm(forms.ModelForm):
    # Wider than the stored 11 digits: "+86 139-0000-1111" is normalised by the model.
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    class Meta:
        model = User
        fields = ["display_name", "phone", "language"]


class LoginForm(AuthenticationForm):
    """Django's sign-in form, by user name or mobile number (accounts.backends)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "shared_mobile": _(
            "Several accounts share this mobile number: sign in with your user name instead."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name or mobile number")

    def clean(self):
        login = self.cleaned_data.get("username")
        if login and shared_mobile(login):
            raise ValidationError(self.error_messages["shared_mobile"], code="shared_mobile")
        return super().clean()


class _NewPasswordForm(forms.Form):
    """A new password typed twice; Django's validators run in the service (they need the
    user)."""

    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") != data["password"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


def _mobile_field():
    return forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


def _code_field():
    return forms.CharField(
        label=_("Code from the text message"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


def _login_field():
    return forms.CharField(
        label=_("User name or mobile number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )


class ActivateLinkForm(_NewPasswordForm):
    pass


class ActivateCodeForm(_NewPasswordForm):
    phone = _mobile_field()
    code = _code_field()
    field_order = ["phone", "code", "password", "password2"]


class ForgotPasswordForm(forms.Form):
    login = _login_field()


class ResetPasswordForm(_NewPasswordForm):
    login = _login_field()
    code = _code_field()
    field_order = ["login", "code", "password", "password2"]
