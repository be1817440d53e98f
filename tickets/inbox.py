"""The bell's pages: a person's own notifications and channel preferences, and the operations
page where the district's command centre watches the deadline sweep and outgoing messages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.forms import NOT_SAVED, submit_form
from grids.models import Area
from grids.scope import scope_paths
from tickets import bell, delivery
from tickets.bell import unread_count
from tickets.forms import ChannelPreferencesForm
from tickets.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    Delivery,
    Notification,
    Status,
    SweepRun,
    Ticket,
)
from tickets.policy import TicketCapability
from tickets.preferences import effective, save_channel_preferences
from tickets.texts import describe

PAGE_SIZE = 25
# A pending or held delivery whose time came this long ago and is still not out is stuck: the
# worker or the broker is not doing its job (held ones wait for the morning on purpose).
STUCK_AFTER = dt.timedelta(minutes=10)
LIST_LIMIT = 50


def can_operate(user) -> bool:
    """The district's command centre: dispatching across the whole district (the tree's root).

    Only district staff hold a post at the root, and they dispatch there; street and community
    officers dispatch lower down, so the operations page stays theirs alone.
    """
    paths = scope_paths(user, TicketCapability.DISPATCH_TICKETS)
    return paths is None or any(len(path) == Area.steplen for path in paths)


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
    return render(request, "tickets/notifications/list.html", {"page": page})


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
            "tickets/notifications/_read.html",
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
    link = describe(notification).link
    # The link is built by reverse(), but a redirect must never leave the site whatever
    # the parameters stored in the row say.
    if not link.startswith("/") or not url_has_allowed_host_and_scheme(
        link, allowed_hosts=None, require_https=request.is_secure()
    ):
        link = reverse("notifications")
    return redirect(link)


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
    return render(request, "tickets/notifications/preferences.html", {"form": form})


def _require_operator(user) -> None:
    if not can_operate(user):
        raise PermissionDenied


@login_required
def operations(request):
    """Is the deadline machinery running: the sweeps, what is due, what did not go out."""
    _require_operator(request.user)
    now = timezone.now()
    sweeps = list(SweepRun.objects.order_by("-started_at")[:10])
    # Three counts rather than one aggregate: each is an index probe on a partial index.
    due_now = Ticket.objects.filter(status__in=OPEN_STATUSES, next_check_at__lte=now).count()
    late_response = Ticket.objects.filter(status=Status.SUBMITTED, response_due__lt=now).count()
    late_completion = Ticket.objects.filter(
        status__in=ACTIVE_STATUSES, completion_due__lt=now
    ).count()
    deliveries = Delivery.objects.select_related(
        "notification__recipient", "notification__webhook__area"
    )
    failed = list(deliveries.filter(state=Delivery.State.FAILED).order_by("-pk")[:LIST_LIMIT])
    stuck = list(
        deliveries.filter(
            state__in=[Delivery.State.PENDING, Delivery.State.HELD],
            next_attempt_at__lte=now - STUCK_AFTER,
        ).order_by("next_attempt_at", "pk")[:LIST_LIMIT]
    )
    for row in failed + stuck:
        row.text = describe(row.notification)
    counts = delivery.counts()
    return render(
        request,
        "tickets/notifications/operations.html",
        {
            "last_sweep": sweeps[0] if sweeps else None,
            "sweeps": sweeps,
            "due_now": due_now,
            "late_response": late_response,
            "late_completion": late_completion,
            "delivery_counts": [(state, counts.get(state, 0)) for state in Delivery.State],
            "failed": failed,
            "stuck": stuck,
            "stuck_minutes": int(STUCK_AFTER.total_seconds() // 60),
            "now": now,
        },
    )


@login_required
@require_POST
def delivery_retry(request, pk):
    _require_operator(request.user)
    if not Delivery.objects.filter(pk=pk).exists():
        raise Http404
    try:
        delivery.retry(delivery_id=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Delivery %(pk)s will be sent again.") % {"pk": pk})
    return redirect("operations")
