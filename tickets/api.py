"""Systems API: sensors and the 12345 hotline create resident requests.

``POST /api/tickets/``
    Create a resident request (工单) on behalf of a system. Not for browsers: no session,
    no CSRF token; each system has its own token, issued by district staff on the "API
    clients" page (shown once; only its SHA-256 is stored) and limited to the client's area.

Headers
    ``Authorization: Bearer <token>``: required. A missing, unknown or deactivated token
    is answered ``401`` with ``WWW-Authenticate: Bearer``.
    ``Idempotency-Key: <1–80 printable ASCII characters>``: required, unique per request
    the system means to create (a UUID does). Sending the same key again (a retry after a
    timeout) creates nothing and answers ``200`` with the request the key first created.
    ``Content-Type: application/json``.

Body (a JSON object)
    ``matter``       required: a code from the catalogue of matters, e.g. ``"thrown_objects"``
    ``description``  required: up to 2000 characters
    ``grid``         the grid's code, e.g. ``"QH-S01-C01-G01"``; or, instead,
    ``longitude``, ``latitude``  WGS-84 degrees: the request goes to the client's grid whose
                     boundary holds the point (for a client of one community, a point in the
                     community but in none of its grids goes to its triage queue)
    ``address``      optional, up to 200 characters
    ``reporter_phone`` optional: a mainland mobile number (``+86``, spaces, hyphens allowed)
    ``reporter_name``  optional, up to 50 characters

Answers
    ``201 Created``  ``{"code": "7KQ2M9XD", "status": "submitted", "area": "QH-S01-C01-G01",
    "tracking_url": "https://…/t/…/"}``: ``code`` is the short code a resident can quote
    (with the mobile number, at ``/t/``); ``tracking_url`` is the resident's private
    tracking link (pass it on to the resident only).
    ``200 OK``       the same body, for a repeated ``Idempotency-Key`` with the same body.
    ``400 Bad Request``  ``{"errors": {"<field>": ["<message>", …]}}``: fields are the body's
    keys, plus ``idempotency_key`` and ``body`` (not a JSON object) and ``__all__``. A grid
    (or point) outside the client's area is an error on ``grid``.
    ``401 Unauthorized``  ``{"errors": {"authorization": [...]}}``.
    ``405 Method Not Allowed`` for anything but POST.
    ``409 Conflict``  ``{"errors": {"idempotency_key": [...]}}``: the key was already used
    with a different body.
    ``415 Unsupported Media Type``  a body that is not ``application/json``.
    Messages are in the language of ``Accept-Language`` (Chinese by default).

Described by hand in the OpenAPI document at ``/api/openapi.json`` (tickets/open311.py, whose
Open311 endpoints read back what a client filed, on the same token).

Example
    curl -X POST https://grid.example.gov.cn/api/tickets/ \\
      -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: 6f1c…" \\
      -H "Content-Type: application/json" \\
      -d '{"matter": "thrown_objects", "description": "高空抛物", "grid": "QH-S01-C01-G01"}'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from shapely.geometry import Point

from grids.models import Area
from grids.roles import Level
from tickets import services
from tickets.models import ApiClient, Channel, Matter, Ticket
from tickets.public_forms import DESCRIPTION_MAX, MobileField

IDEMPOTENCY_KEY_MAX = 80
_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,80}$")  # printable ASCII, no spaces


class ApiTicketForm(forms.Form):
    """The same limits as the residents' form, with codes instead of choices."""

    matter = forms.ModelChoiceField(
        queryset=Matter.objects.filter(active=True, category__active=True),
        to_field_name="code",
        error_messages={
            "invalid_choice": gettext_lazy("No matter in the catalogue has this code."),
        },
    )
    description = forms.CharField(max_length=DESCRIPTION_MAX)
    grid = forms.CharField(max_length=32, required=False)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180)
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90)
    address = forms.CharField(max_length=200, required=False)
    reporter_phone = MobileField(required=False)
    reporter_name = forms.CharField(max_length=50, required=False)

    TEXT = ("matter", "description", "grid", "address", "reporter_phone", "reporter_name")
    NUMBERS = ("longitude", "latitude")

    def __init__(self, body: dict, **kwargs):
        super().__init__(data=body, **kwargs)
        self.body = body

    def full_clean(self):
        super().full_clean()
        # JSON has types: a list where text is expected is an error, not its str().
        for name in self.TEXT:
            value = self.body.get(name)
            if value is not None and not isinstance(value, str):
                self._type_error(name, _("Send text."))
        for name in self.NUMBERS:
            value = self.body.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                self._type_error(name, _("Send a number."))

    def _type_error(self, name: str, message: str) -> None:
        self._errors.setdefault(name, self.error_class()).append(message)
        self.cleaned_data.pop(name, None)

    def clean_description(self):
        value = self.cleaned_data["description"].strip()
        if not value:
            raise ValidationError(_("This field is required."))
        return value

    def clean(self):
        data = super().clean()
        code = (data.get("grid") or "").strip()
        data["grid"] = None
        if code:
            grid = Area.objects.filter(code=code, level=Level.GRID).first()
            if grid is None:
                self.add_error("grid", _("No grid has this code."))
            data["grid"] = grid
        elif (data.get("longitude") is None or data.get("latitude") is None) and not (
            "longitude" in self.errors or "latitude" in self.errors
        ):
            self.add_error("grid", _("Give the grid's code, or both longitude and latitude."))
        return data


def _answer(status: int, body: dict, **headers) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    response["Cache-Control"] = "no-store"
    return response


def _errors(status: int, errors: dict, **headers) -> JsonResponse:
    return _answer(
        status, {"errors": {k: [str(m) for m in v] for k, v in errors.items()}}, **headers
    )


def _unauthorized(message: str) -> JsonResponse:
    return _errors(401, {"authorization": [message]}, WWW_Authenticate='Bearer realm="api"')


def authenticate(request) -> ApiClient | None:
    """The active client whose token the request carries, else None.

    The token's SHA-256 is looked up through its unique index, then compared in constant
    time; timing can at most tell about the hash, which says nothing usable of the token.
    """
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return client_for_token(token)


def client_for_token(token: str | None) -> ApiClient | None:
    """The active client of this token (a Bearer token, or Open311's ``api_key``), else None."""
    token = (token or "").strip()
    if not token or len(token) > 200:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    client = ApiClient.objects.select_related("area").filter(token_hash=digest).first()
    if client is None or not hmac.compare_digest(client.token_hash, digest):
        return None
    if not client.active:
        return None
    _note_use(client)
    return client


LAST_USED_STEP = dt.timedelta(minutes=1)


def _note_use(client: ApiClient) -> None:
    """ "Last used" on the client's page: one UPDATE a minute at most, past the audit log and
    the version (a system's call must not make an officer's open form stale)."""
    now = timezone.now()
    if client.last_used_at is None or client.last_used_at < now - LAST_USED_STEP:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


def _locate(area: Area, longitude: float, latitude: float) -> tuple[Area | None, Area | None]:
    """The client's grid at the point; for a client of one community, a point inside the
    community but in none of its grids goes to the community's triage queue."""
    grid = services.grid_at(longitude, latitude, within=area)
    if grid is not None:
        return grid, None
    if area.level in (Level.COMMUNITY, Level.VILLAGE):
        shape = area.geometry
        if shape is None or shape.covers(Point(longitude, latitude)):
            return None, area
    return None, None


def _ticket_body(request, ticket: Ticket) -> dict:
    base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return {
        "code": ticket.short_code,
        "status": ticket.status,
        "area": ticket.area.code,
        "tracking_url": base + reverse("ticket_track", args=[ticket.tracking_token]),
    }


@csrf_exempt
def create_ticket(request):
    if request.method != "POST":
        return _errors(405, {NON_FIELD_ERRORS: [_("Only POST is allowed here.")]}, Allow="POST")
    client = authenticate(request)
    if client is None:
        return _unauthorized(_("Send a valid API token: Authorization: Bearer <token>."))
    key = request.headers.get("Idempotency-Key", "").strip()
    if not _KEY_SHAPE.match(key):
        return _errors(
            400,
            {
                "idempotency_key": [
                    _(
                        "Send an Idempotency-Key header: 1 to %(n)s printable characters, "
                        "the same when the same request is retried."
                    )
                    % {"n": IDEMPOTENCY_KEY_MAX}
                ]
            },
        )
    # An empty body falls through to "send a JSON object" below.
    sent = request.META.get("CONTENT_LENGTH") not in (None, "", "0")
    if sent and request.content_type != "application/json":
        return _errors(415, {"body": [_("Send a JSON object.")]}, Accept_Post="application/json")
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = None
    if not isinstance(body, dict):
        return _errors(400, {"body": [_("Send a JSON object.")]})
    # Every field is a string or a number; a nested value (a thousand arrays deep, say)
    # would only reach the form's str() and recurse.
    nested = sorted(k for k, v in body.items() if isinstance(v, (list, dict)))
    if nested:
        return _errors(400, {k: [_("Send a JSON object.")] for k in nested})
    fingerprint = _fingerprint(body)
    first = (
        Ticket.objects.select_related("area").filter(api_client=client, idempotency_key=key).first()
    )
    if first is not None:
        return _replay(request, first, fingerprint)
    form = ApiTicketForm(body)
    if not form.is_valid():
        return _errors(400, form.errors)
    data = form.cleaned_data
    grid, community = data["grid"], None
    if grid is None:
        grid, community = _locate(client.area, data["longitude"], data["latitude"])
        if grid is None and community is None:
            return _errors(
                400,
                {"grid": [_("This point is outside %(area)s.") % {"area": client.area.name}]},
            )
    try:
        ticket = services.submit(
            channel=Channel.SYSTEM,
            matter=data["matter"],
            description=data["description"],
            address=data["address"],
            reporter_phone=data["reporter_phone"],
            reporter_name=data["reporter_name"],
            grid=grid,
            community=community,
            longitude=data["longitude"],
            latitude=data["latitude"],
            api_client=client,
            idempotency_key=key,
            idempotency_fingerprint=fingerprint,
        )
    except ValidationError as error:
        errors = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: error.messages}
        )
        return _errors(400, errors)
    if getattr(ticket, "replayed", False):
        return _replay(request, ticket, fingerprint)
    return _answer(201, _ticket_body(request, ticket))


def _fingerprint(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(request, first: Ticket, fingerprint: str) -> JsonResponse:
    """The request first sent with this key, if this is the same request sent again.

    A key reused for a different body is the caller's mistake; answering with the
    old request would hide it. (Requests stored before fingerprints count as the same.)
    """
    if first.idempotency_fingerprint and first.idempotency_fingerprint != fingerprint:
        return _errors(
            409,
            {
                "idempotency_key": [
                    _("This Idempotency-Key was already used for a different request.")
                ]
            },
        )
    return _answer(200, _ticket_body(request, first))
