"""Sign-in (password, then a code when the user has an authenticator) and the pages that set
up and remove the authenticator (accounts/twofactor.py)."""

from __future__ import annotations

import time

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import passwords, stepup, twofactor

PENDING = "_accounts_2fa"  # {"user", "backend", "at", "next", "tries"}: password right, code due
PENDING_SECONDS = 5 * 60
MAX_TRIES = 5  # wrong codes before the password is asked again


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )


class RemoveForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SignIn(auth_views.LoginView):
    """Django's sign-in page. A password that breaks today's rules must be replaced at once;
    a user with an authenticator is not signed in until the code is right."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not user.must_change_password and passwords.weak(
            form.cleaned_data.get("password", ""), user
        ):
            user.must_change_password = True
            user.save(update_fields=["must_change_password"])
        if twofactor.has_device(user):
            return ask_for_code(
                self.request, user, backend=user.backend, next_url=self.get_success_url()
            )
        return super().form_valid(form)


def ask_for_code(request, user, *, backend: str, next_url: str):
    """The password (or a reset code) was right; the authenticator's code comes next."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "at": int(time.time()),
        "next": next_url,
        "tries": 0,
    }
    return redirect("signin_code")


def _pending(request):
    """The user whose password was right a moment ago, or None."""
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return settings.LOGIN_REDIRECT_URL


@never_cache
@sensitive_post_parameters("code")
def signin_code(request):
    user, pending = _pending(request)
    if user is None:
        request.session.pop(PENDING, None)
        messages.info(request, _("Sign in again."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify_code(user, form.cleaned_data["code"]):
            del request.session[PENDING]
            login(request, user, backend=pending["backend"])
            return redirect(_safe_next(request, pending["next"]))
        # A wrong code counts as a failed sign-in: in the history, and towards the lockout.
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        pending["tries"] += 1
        request.session[PENDING] = pending
        if pending["tries"] >= MAX_TRIES:
            del request.session[PENDING]
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect("login")
        wait = twofactor.wait_seconds(user)
        form.add_error(
            "code",
            _("That code is not right. Try the code your app shows now, in %(n)d seconds.")
            % {"n": wait}
            if wait
            else _("That code is not right. Try the code your app shows now."),
        )
    return render(request, "accounts/signin_code.html", {"form": form})


# --- Setting up and removing the authenticator -------------------------------------------------


def _qr_svg(url: str) -> str:
    """An inline SVG QR code (no style attribute or element: the CSP allows it)."""
    return segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, dark="#000", light="#fff"
    )


@login_required
def two_factor(request):
    return render(
        request,
        "accounts/two_factor.html",
        {"enrolled": twofactor.has_device(request.user), "form": RemoveForm()},
    )


@login_required
@never_cache
@sensitive_post_parameters("code")
def two_factor_setup(request):
    if twofactor.has_device(request.user):
        # Replacing it goes through removing it, which asks for the password.
        return redirect("two_factor")
    device = twofactor.pending_device(request.user)
    form = CodeForm(request.POST or None)
    # The keyboard would cover the QR code on a phone.
    form.fields["code"].widget.attrs.pop("autofocus", None)
    if request.method == "POST" and form.is_valid():
        if twofactor.confirm(request.user, form.cleaned_data["code"]):
            messages.success(
                request, _("Two-step sign-in is on. Each sign-in now asks for a code.")
            )
            return redirect("two_factor")
        form.add_error("code", _("That code is not right. Try the code your app shows now."))
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device.config_url),
            "secret": twofactor.secret_text(device),
        },
    )


@login_required
@require_POST
@sensitive_post_parameters("password")
def two_factor_remove(request):
    form = RemoveForm(request.POST)
    # Checked as a sign-in is: a wrong password counts towards the lockout.
    if not (form.is_valid() and stepup.password_matches(request, form.cleaned_data["password"])):
        messages.error(request, _("The password is not right: two-step sign-in stays on."))
        return redirect("two_factor")
    twofactor.remove(request.user)
    messages.success(request, _("Two-step sign-in is off. Sign-in asks for the password alone."))
    return redirect("two_factor")
