"""The API clients' pages (tickets/api.py): district staff let a system in, give it a new
token, revoke it and let it in again. A token is shown once, on the page after it was issued
(kept for that one page in the session, never in the database); only its hash is stored.
Anyone else gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.concurrency import ConcurrentEdit
from core.forms import NOT_SAVED, submit_form
from core.history import history_for
from grids.models import Area
from grids.roles import COMMUNITY_LEVELS, Level
from tickets import services
from tickets.forms import ApiClientForm
from tickets.models import ApiClient
from tickets.policy import TicketCapability, may_manage_api_clients

# The areas a client may report into: the district, a street or town, a community or village.
CLIENT_LEVELS = (Level.DISTRICT, Level.STREET, Level.TOWN, *COMMUNITY_LEVELS)
_ISSUED = "api_client_issued"  # the session key of the token to show once


def _require_manager(user) -> None:
    if not may_manage_api_clients(user):
        raise Http404


def _clients(user):
    return ApiClient.objects.filter(
        area__in=Area.objects.visible_to(user, TicketCapability.MANAGE_API_CLIENTS)
    ).select_related("area")


def _areas(user):
    return Area.objects.visible_to(user, TicketCapability.MANAGE_API_CLIENTS).filter(
        level__in=CLIENT_LEVELS
    )


def _show_once(request, client: ApiClient, token: str) -> None:
    request.session[_ISSUED] = {"pk": client.pk, "token": token}


@login_required
def api_clients(request):
    _require_manager(request.user)
    form = ApiClientForm(request.POST or None, areas=_areas(request.user))
    created = submit_form(
        request,
        form,
        lambda data, _version: services.create_api_client(by=request.user, **data),
        _("API client added. Copy its token now: it is not shown again."),
    )
    if created is not NOT_SAVED:
        client, token = created
        _show_once(request, client, token)
        return redirect("api_client_detail", pk=client.pk)
    return render(
        request,
        "tickets/api_clients.html",
        {"form": form, "clients": _clients(request.user).order_by("-active", "name")},
    )


@login_required
def api_client_detail(request, pk):
    _require_manager(request.user)
    client = get_object_or_404(_clients(request.user), pk=pk)
    form = ApiClientForm(request.POST or None, instance=client, areas=_areas(request.user))
    saved = submit_form(
        request,
        form,
        lambda data, version: services.update_api_client(
            by=request.user, client=client, expected_version=version, **data
        ),
        _("API client saved."),
    )
    if saved is not NOT_SAVED:
        return redirect("api_client_detail", pk=client.pk)
    if form.errors:
        client.refresh_from_db()
    issued = request.session.get(_ISSUED)
    token = None
    if issued and issued.get("pk") == client.pk:
        token = issued["token"]
        del request.session[_ISSUED]
    response = render(
        request,
        "tickets/api_client_detail.html",
        {"form": form, "client": client, "token": token, "history": history_for(client)},
    )
    add_never_cache_headers(response)
    return response


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def api_client_rotate(request, pk):
    _require_manager(request.user)
    client = get_object_or_404(_clients(request.user), pk=pk)
    try:
        token = services.rotate_api_token(
            by=request.user, client=client, expected_version=_version(request)
        )
    except ConcurrentEdit as error:
        messages.error(request, error.message)
    else:
        _show_once(request, client, token)
        messages.success(request, _("New token issued: the old one no longer works. Copy it now."))
    return redirect("api_client_detail", pk=client.pk)


@login_required
@require_POST
def api_client_active(request, pk):
    _require_manager(request.user)
    client = get_object_or_404(_clients(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_api_client_active(
            by=request.user, client=client, active=active, expected_version=_version(request)
        )
    except (ConcurrentEdit, ValidationError) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(
            request,
            _("API client reactivated: its token works again.")
            if active
            else _("API client revoked: its token is refused from now on."),
        )
    return redirect("api_client_detail", pk=client.pk)
