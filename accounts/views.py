from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts import services, signins, twofactor, twofactor_views
from accounts.forms import (
    ActivateCodeForm,
    ActivateLinkForm,
    ForgotPasswordForm,
    ProfileForm,
    ResetPasswordForm,
)
from core.context_processors import LARGE_TEXT_COOKIE
from core.forms import NOT_SAVED, submit_form
from core.navigation import listed
from core.ratelimit import ip_limit, too_many_requests


@require_POST
def set_language(request):
    """Switch language; a signed-in user's choice is also saved to their profile."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return django_set_language(request)


@require_POST
def large_text(request):
    """The large-text mode (适老化) of the public pages, on or off for this browser.

    A cookie, read on the server, so the page arrives already large: no flash of small text,
    and it works without JavaScript. No account: most who need it have none."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if request.POST.get("on") == "1":
        response.set_cookie(
            LARGE_TEXT_COOKIE,
            "1",
            max_age=365 * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
    return response


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    links = [(link.label, reverse(link.url_name)) for link in listed("PROFILE_LINKS")]
    return render(request, "accounts/profile.html", {"form": form, "links": links})


class PasswordChange(auth_views.PasswordChangeView):
    """Django's page; choosing a new password ends the temporary one's hold."""

    def form_valid(self, form):
        # The form saves the whole user, flag included.
        form.user.must_change_password = False
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        # Django keeps this session under a new key; every other session of the user ends
        # now (the session hash would refuse them at their next request anyway).
        new_key = self.request.session.session_key
        signins.rekey(old_key, new_key)
        signins.end_sessions(form.user, keep=new_key)
        return response


# --- Activation and forgotten passwords (anonymous pages) -----------------------------------

RESET_LOGIN = "accounts:reset-login"


def _signed_in(request, user):
    backend = "accounts.backends.ModelBackend"
    if twofactor.has_device(user):  # a reset code by SMS does not replace the authenticator
        return twofactor_views.ask_for_code(
            request, user, backend=backend, next_url=settings.LOGIN_REDIRECT_URL
        )
    login(request, user, backend=backend)
    return redirect(settings.LOGIN_REDIRECT_URL)


def _limited(request, group: str):
    """The 429 page when this client posted too often to ``group`` (codes are guessed here)."""
    if request.method == "POST":
        wait = ip_limit(request, group)
        if wait:
            return too_many_requests(request, retry_after=wait)
    return None


@never_cache
@sensitive_post_parameters("password", "password2")
def activate(request, token):
    """The link in the invitation: choose a password, signed in at once."""
    if services.code_for_link(token) is None:
        return render(request, "accounts/activate_expired.html", status=200)
    form = ActivateLinkForm(request.POST or None)
    user = submit_form(
        request,
        form,
        lambda data, _v: services.activate(token=token, password=data["password"]),
        _("Your account is active. Welcome!"),
    )
    if user is not NOT_SAVED:
        return _signed_in(request, user)
    return render(request, "accounts/activate.html", {"form": form, "by_link": True})


@never_cache
@sensitive_post_parameters("password", "password2", "code")
def activate_code(request):
    """The same with the mobile number and the code from the text message."""
    refused = _limited(request, "activate-code")
    if refused:
        return refused
    form = ActivateCodeForm(request.POST or None)
    user = submit_form(
        request,
        form,
        lambda data, _v: services.activate(
            phone=data["phone"], code=data["code"], password=data["password"]
        ),
        _("Your account is active. Welcome!"),
    )
    if user is not NOT_SAVED:
        return _signed_in(request, user)
    return render(request, "accounts/activate.html", {"form": form, "by_link": False})


@never_cache
def password_forgot(request):
    """Ask for a code; the answer is the same whether or not the account exists."""
    refused = _limited(request, "password-forgot")
    if refused:
        return refused
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_password_reset(login=form.cleaned_data["login"])
        request.session[RESET_LOGIN] = form.cleaned_data["login"]
        messages.info(
            request,
            _(
                "If an account with a mobile number matches, a code is on its way by text "
                "message. It is valid for 30 minutes."
            ),
        )
        return redirect("password_reset_code")
    return render(request, "accounts/password_forgot.html", {"form": form})


@never_cache
@sensitive_post_parameters("password", "password2", "code")
def password_reset_code(request):
    refused = _limited(request, "password-reset")
    if refused:
        return refused
    form = ResetPasswordForm(
        request.POST or None, initial={"login": request.session.get(RESET_LOGIN, "")}
    )
    user = submit_form(
        request,
        form,
        lambda data, _v: services.reset_password_with_code(
            login=data["login"], code=data["code"], password=data["password"]
        ),
        _("Your new password is set. You are signed in."),
    )
    if user is not NOT_SAVED:
        request.session.pop(RESET_LOGIN, None)
        return _signed_in(request, user)
    return render(request, "accounts/password_reset.html", {"form": form})
