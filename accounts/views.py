from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts import signins
from accounts.forms import ProfileForm
from core.navigation import listed


@require_POST
def set_language(request):
    """Switch language; a signed-in user's choice is also saved to their profile."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return django_set_language(request)


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
