"""The signed-in user's own sign-in history and open sessions (accounts/signins.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import signins
from accounts.retention import KEY as SIGNINS_KEPT
from core.retention import days_for


@login_required
def signin_history(request):
    return render(
        request,
        "accounts/signin_history.html",
        # The period the district set (core.retention), which the daily purge applies.
        {"signins": signins.history(request.user), "keep_days": days_for(SIGNINS_KEPT)},
    )


@login_required
def session_list(request):
    current = request.session.session_key
    sessions = signins.open_sessions(request.user)
    for session in sessions:
        session.is_current = session.session_key == current
    sessions.sort(key=lambda s: not s.is_current)  # this device first
    return render(
        request,
        "accounts/session_list.html",
        {"sessions": sessions, "others": sum(not s.is_current for s in sessions)},
    )


@login_required
@require_POST
def session_end(request, pk):
    # Only the user's own rows, never the current one: anything else is "not found".
    if not signins.end_sessions(request.user, keep=request.session.session_key, pk=pk):
        raise Http404
    messages.success(request, _("That session was signed out."))
    return redirect("account_sessions")


@login_required
@require_POST
def session_end_others(request):
    ended = signins.end_sessions(request.user, keep=request.session.session_key)
    messages.success(
        request,
        ngettext(
            "%(n)d other session was signed out.", "%(n)d other sessions were signed out.", ended
        )
        % {"n": ended},
    )
    return redirect("account_sessions")


@login_required
def keep_alive(request):
    """Someone is typing on an open page (static/js/keepalive.js): the request itself is the
    activity accounts.timeouts counts."""
    return HttpResponse(status=204)
