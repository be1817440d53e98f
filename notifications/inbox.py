"""The bell's pages: a person's own notifications and channel preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.forms import NOT_SAVED, submit_form
from core.redirects import local_redirect
from notifications import bell
from notifications.bell import unread_count
from notifications.forms import ChannelPreferencesForm
from notifications.models import Notification
from notifications.preferences import effective, save_channel_preferences
from notifications.texts import describe

PAGE_SIZE = 25


def mark_read(*, user, pk: int | None = None) -> int:
    """Mark one of ``user``'s notifications read, or all of them; returns how many changed."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        rows = rows.filter(pk=pk)
    changed = rows.update(read_at=timezone.now())
    if changed:
        bell.changed([user.pk])
    return changed


def _own(request, pk: int) -> Notification:
    """One of the user's own notifications; anyone else's is as missing as a wrong number."""
    return get_object_or_404(Notification.objects.all(), pk=pk, recipient=request.user)


def _page_url(request) -> str:
    url = reverse("notifications")
    page = request.POST.get("page", "")
    return f"{url}?page={page}" if page.isdigit() and page != "1" else url


@login_required
def notifications(request):
    """The user's notifications, newest first; reading the page leaves them unread."""
    rows = Notification.objects.filter(recipient=request.user)
    page = Paginator(rows.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = list(page.object_list)
    for notification in page.object_list:
        notification.text = describe(notification)
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk):
    notification = _own(request, pk)
    if notification.read_at is None:
        mark_read(user=request.user, pk=notification.pk)
        notification.read_at = timezone.now()
    if request.htmx:
        notification.text = describe(notification)
        return render(
            request,
            "notifications/_read.html",
            {"n": notification, "unread": unread_count(request.user)},
        )
    return redirect(_page_url(request))


@login_required
@require_POST
def notifications_read_all(request):
    done = mark_read(user=request.user)
    if done:
        messages.success(
            request,
            ngettext("%(n)s notification marked read.", "%(n)s notifications marked read.", done)
            % {"n": done},
        )
    return redirect("notifications")


@login_required
def notification_open(request, pk):
    """Follow a notification to its request, marking it read on the way.

    A GET, so that the item is a plain link (a new tab, a long press); marking one's own
    notification read is harmless to repeat or to be tricked into.
    """
    notification = _own(request, pk)
    mark_read(user=request.user, pk=notification.pk)
    # The link is built by reverse(), but a redirect must never leave the site whatever
    # the parameters stored in the row say.
    return local_redirect(request, describe(notification).link, "notifications")


@login_required
def notification_preferences(request):
    form = ChannelPreferencesForm(
        request.POST or None, user=request.user, current=effective(request.user)
    )
    saved = submit_form(
        request,
        form,
        lambda _data, _v: save_channel_preferences(user=request.user, choices=form.choices()),
        _("Your notification settings are saved."),
    )
    if saved is not NOT_SAVED:
        return redirect("notification_preferences")
    return render(request, "notifications/preferences.html", {"form": form})
