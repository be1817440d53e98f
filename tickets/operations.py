"""The operations page, where the district's command centre watches the deadline sweep and
the messages going out, and sends a failed one again."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import retention
from core.health import queues
from core.models import RetentionRun
from core.queue import depth
from core.views import metrics_allowed
from core.workdays import missing_year
from grids.models import Area
from grids.privacy import may_set_retention
from grids.scope import scope_paths
from notifications import delivery
from notifications.models import Delivery
from notifications.texts import describe
from tickets.models import ACTIVE_STATUSES, OPEN_STATUSES, Status, SweepRun, Ticket
from tickets.policy import (
    TicketCapability,
    may_manage_api_clients,
    may_manage_calendar,
    may_manage_catalogue,
)

# A pending or held delivery whose time came this long ago and is still not out is stuck: the
# worker or the broker is not doing its job (held ones wait for the morning on purpose).
STUCK_AFTER = dt.timedelta(minutes=10)
# The queues of settings.CELERY_TASK_ROUTES, as the operations page names them.
QUEUE_LABELS = {
    "celery": gettext_lazy("tasks queued: other background work"),
    "sweep": gettext_lazy("tasks queued: deadline sweeps and the beat tick"),
    "deliveries": gettext_lazy("tasks queued: messages"),
    "imports": gettext_lazy("tasks queued: imports"),
    "rollups": gettext_lazy("tasks queued: dashboard roll-ups and monthly scores"),
}
LIST_LIMIT = 50


def can_operate(user) -> bool:
    """The district's command centre: dispatching across the whole district (the tree's root).

    Only district staff hold a post at the root, and they dispatch there; street and community
    officers dispatch lower down, so the operations page stays theirs alone.
    """
    paths = scope_paths(user, TicketCapability.DISPATCH_TICKETS)
    return paths is None or any(len(path) == Area.steplen for path in paths)


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
    unknown = list(deliveries.filter(state=Delivery.State.UNKNOWN).order_by("-pk")[:LIST_LIMIT])
    stuck = list(
        deliveries.filter(
            state__in=[Delivery.State.PENDING, Delivery.State.HELD],
            next_attempt_at__lte=now - STUCK_AFTER,
        ).order_by("next_attempt_at", "pk")[:LIST_LIMIT]
    )
    for row in failed + unknown + stuck:
        row.text = describe(row.notification)
    counts = delivery.counts()
    backlog = delivery.backlog(now=now)
    oldest = backlog["oldest_due_seconds"]
    retention_run = RetentionRun.objects.first()
    return render(
        request,
        "tickets/operations.html",
        {
            "last_sweep": sweeps[0] if sweeps else None,
            "sweeps": sweeps,
            "due_now": due_now,
            "late_response": late_response,
            "late_completion": late_completion,
            "delivery_counts": [(state, counts.get(state, 0)) for state in Delivery.State],
            "failed": failed,
            "unknown": unknown,
            "backlog": backlog,
            "oldest_due_minutes": None if oldest is None else int(oldest // 60),
            "delivery_lagging": oldest is not None
            and oldest > settings.HEALTH_DELIVERY_MAX_AGE.total_seconds(),
            # Messages waiting in the broker per queue (None: it does not answer).
            "queued": [(QUEUE_LABELS.get(name, name), depth(name)) for name in queues()],
            "stuck": stuck,
            "stuck_minutes": int(STUCK_AFTER.total_seconds() // 60),
            "now": now,
            # Next year's holidays not in yet (from November): deadlines would miss them.
            "calendar_missing": missing_year(),
            "may_manage_calendar": may_manage_calendar(request.user),
            "may_manage_catalogue": may_manage_catalogue(request.user),
            "may_manage_api_clients": may_manage_api_clients(request.user),
            # What the nightly retention pass removed or anonymised, kind by kind.
            "retention_run": retention_run,
            "retention_rows": retention.last_run_rows(retention_run),
            "may_set_retention": may_set_retention(request.user),
            # Where the rest is watched (README "Metrics and logs"); /metrics only where it
            # would answer this browser, the dashboard only where one is set up.
            "metrics_allowed": metrics_allowed(request),
            "grafana_url": settings.GRAFANA_URL,
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
