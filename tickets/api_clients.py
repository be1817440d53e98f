"""The API clients' pages (tickets/api.py): district staff let a system in, give it a new
token, revoke it and let it in again. A token is shown once, on the page after it was issued
(kept for that one page in the session, never in the database); only its hash is stored.
Anyone else gets a 404.

Its callback too (tickets/callbacks.py): the address its status changes are sent to, and the
signing secret, issued with the first address or anew on request and shown once the same way
(the secret is stored, since we sign with it, but no page shows it again)."""

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
from tickets.forms import ApiClientCallbackForm, ApiClientForm
from tickets.models import ApiClient
from tickets.policy import TicketCapability, may_manage_api_clients

# The areas a client may report into: the district, a street or town, a community or village.
CLIENT_LEVELS = (Level.DISTRICT, Level.STREET, Level.TOWN, *COMMUNITY_LEVELS)
_ISSUED = "api_client_issued"  # the session key of the token to show once
_SECRET_SHOWN = "api_client_callback_secret"  # noqa: S105 - a session key: the secret to show once


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
    response = render(
        request,
        "tickets/api_client_detail.html",
        {
            "form": form,
            "client": client,
            "token": _take(request, _ISSUED, client),
            "callback_form": ApiClientCallbackForm(client=client),
            "callback_secret": _take(request, _SECRET_SHOWN, client),
            "history": history_for(client),
        },
    )
    add_never_cache_headers(response)
    return response


def _take(request, key: str, client: ApiClient) -> str | None:
    """What was issued for ``client`` to be shown on this one page, then forgotten."""
    issued = request.session.get(key)
    if issued and issued.get("pk") == client.pk:
        del request.session[key]
        return issued["token"]
    return None


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


@login_required
@require_POST
def api_client_callback(request, pk):
    _require_manager(request.user)
    client = get_object_or_404(_clients(request.user), pk=pk)
    form = ApiClientCallbackForm(request.POST, client=client)
    saved = submit_form(
        request,
        form,
        lambda data, version: services.set_api_client_callback(
            by=request.user, client=client, url=data["callback_url"], expected_version=version
        ),
        _("Callback address saved."),
    )
    if saved is NOT_SAVED:
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, " ".join(errors) or _("The callback address was not saved."))
    elif saved:
        request.session[_SECRET_SHOWN] = {"pk": client.pk, "token": saved}
        messages.warning(request, _("Copy the signing secret now: it is not shown again."))
    return redirect("api_client_detail", pk=client.pk)


@login_required
@require_POST
def api_client_callback_secret(request, pk):
    _require_manager(request.user)
    client = get_object_or_404(_clients(request.user), pk=pk)
    try:
        secret = services.rotate_callback_secret(
            by=request.user, client=client, expected_version=_version(request)
        )
    except (ConcurrentEdit, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
    else:
        request.session[_SECRET_SHOWN] = {"pk": client.pk, "token": secret}
        messages.success(
            request, _("New signing secret issued: callbacks are signed with it from now on.")
        )
    return redirect("api_client_detail", pk=client.pk)
