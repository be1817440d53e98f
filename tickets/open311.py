"""Open311 GeoReport v2 for the 12345 hotline and city systems: read back what they filed.

Under ``/open311/v2/``, each in JSON or XML by the path's ending (``.json`` / ``.xml``):

``GET services.{fmt}``                 the catalogue's active matters (public)
``GET services/{service_code}.{fmt}``  one matter's definition: no extra attributes (public)
``POST requests.{fmt}``                file a request (form-encoded, as the spec says)
``GET requests.{fmt}``                 requests in the client's area, newest first
``GET requests/{service_request_id}.{fmt}``  one of them

The ``api_key`` is the same token as the systems API's Bearer token (tickets/api.py), and may
be sent as ``Authorization: Bearer <token>`` instead; it is required for every ``requests``
call, read or write, because a request is a resident's: a client sees only requests in its
own area, and never the reporter's name or phone. ``jurisdiction_id`` is optional; when given
it must be the district's code (the root area's), else 404.

Errors follow the spec: ``[{"code": 400, "description": "…"}]`` (XML
``<errors><error><code>400</code><description>…</description></error></errors>``), with the
same HTTP status. ``service_request_id`` is the request's short code (what a resident quotes).

The OpenAPI document of this API and of ``POST /api/tickets/`` is at ``/api/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Literal
from xml.etree import ElementTree as ET

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Form, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyQuery, HttpBearer

from grids.models import Area
from grids.roles import Level
from tickets import services
from tickets.api import _KEY_SHAPE, _locate, client_for_token
from tickets.models import (
    OPEN_STATUSES,
    WISH_MATTER,
    ApiClient,
    Channel,
    Event,
    Matter,
    OwnerLevel,
    Ticket,
)
from tickets.public_forms import DESCRIPTION_MAX, MobileField
from tickets.public_views import EVENT_WORDS, STATUS_WORDS

Format = Literal["json", "xml"]
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- Authentication: api_key (query or form) or a Bearer token ----------------------------------


class ApiKey(APIKeyQuery):
    """``api_key`` in the query string or, for a POST, in the form body."""

    param_name = "api_key"

    def _get_key(self, request):
        return request.GET.get(self.param_name) or request.POST.get(self.param_name)

    def authenticate(self, request, key):
        return client_for_token(key)


class Bearer(HttpBearer):
    def authenticate(self, request, token):
        return client_for_token(token)


api = NinjaAPI(
    title="Grid Governance API",
    version="2",
    description=(
        "Open311 GeoReport v2 (services and requests, JSON or XML) and the systems API "
        "(POST /api/tickets/). Tokens are issued by district staff on the API clients page."
    ),
    urls_namespace="open311",
    openapi_url=None,
    docs_url=None,
)


# --- Errors in the spec's shape -----------------------------------------------------------------


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def _format_of(request) -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def _error_response(request, status: int, description: str) -> HttpResponse:
    errors = [{"code": status, "description": str(description)}]
    response = _render(_format_of(request), errors, "errors", "error", status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Open311Error)
def _open311_error(request, exc: Open311Error):
    return _error_response(request, exc.status, exc.description)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    parts = []
    for error in exc.errors:
        where = [str(p) for p in error.get("loc", ()) if p not in ("query", "form", "path", "data")]
        parts.append(f"{'.'.join(where) or _('request')}: {error.get('msg', '')}")
    return _error_response(request, 400, "; ".join(parts) or _("Invalid request."))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error_response(
        request, 401, _("Send a valid api_key (or Authorization: Bearer <token>).")
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error_response(request, exc.status_code, str(exc))


# --- Rendering ------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list):
        for item in value:
            element.append(_element(tag[:-1] if tag.endswith("s") else "item", item))
    else:
        element.text = _text(value)
    return element


def _render(fmt: str, items: list, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        tree = ET.Element(root)
        for row in items:
            tree.append(_element(item, row))
        body = ET.tostring(tree, encoding="utf-8", xml_declaration=True)
        response = HttpResponse(body, status=status, content_type="application/xml; charset=utf-8")
    else:
        response = JsonResponse(
            items, safe=False, status=status, json_dumps_params={"ensure_ascii": False}
        )
    response["Cache-Control"] = "no-store"
    return response


def _xml_doc(*codes: int) -> dict:
    """openapi_extra: each answer may also come as XML (by the path's ``.xml``)."""
    xml = {"application/xml": {"schema": {"type": "string"}}}
    return {"responses": {code: {"content": xml} for code in codes}}


# --- Schemas (the OpenAPI document is made from these) --------------------------------------------


class ErrorOut(Schema):
    code: int
    description: str


class ServiceOut(Schema):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class ServiceDefinitionOut(Schema):
    service_code: str
    attributes: list[dict]


class CreatedOut(Schema):
    service_request_id: str
    service_notice: str
    account_id: str | None


class RequestOut(Schema):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    address: str
    address_id: str
    zipcode: str
    lat: float | None
    long: float | None
    media_url: str


class RequestIn(Schema):
    service_code: str
    # Optional in the spec; required here, as on every other channel.
    description: str = Field(max_length=DESCRIPTION_MAX)
    jurisdiction_id: str | None = None
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    media_url: str | None = None


ERRORS = list[ErrorOut]


# --- Jurisdiction and scope -----------------------------------------------------------------------


def _check_jurisdiction(jurisdiction_id: str | None, client: ApiClient | None = None) -> None:
    if not jurisdiction_id:
        return
    if client is not None:
        root = client.area.path[: Area.steplen]
        ok = Area.objects.filter(path=root, code=jurisdiction_id).exists()
    else:
        ok = Area.objects.get_root_nodes().filter(code=jurisdiction_id).exists()
    if not ok:
        raise Open311Error(404, _("No jurisdiction has this id."))


def _matters():
    return (
        Matter.objects.filter(active=True, category__active=True)
        .exclude(code=WISH_MATTER)
        .select_related("category", "department")
        .order_by("category__order", "category__code", "code")
    )


def _in_scope(client: ApiClient):
    return (
        Ticket.objects.filter(area__path__startswith=client.area.path)
        .exclude(matter__code=WISH_MATTER)
        .select_related("matter", "department", "area")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=Event.objects.filter(public=True)
                .only("ticket_id", "action", "at")
                .order_by("at", "pk"),
                to_attr="public_events",
            )
        )
    )


# --- Services -------------------------------------------------------------------------------------


def _service(matter: Matter) -> dict:
    if matter.owner_level == OwnerLevel.DEPARTMENT and matter.department_id:
        owner = matter.department.name
    else:
        owner = matter.get_owner_level_display()
    description = _(
        "Handled by: %(owner)s. Response within %(r)s %(ru)s, completion within %(c)s %(cu)s."
    ) % {
        "owner": owner,
        "r": matter.response_limit,
        "ru": matter.get_response_unit_display(),
        "c": matter.completion_limit,
        "cu": matter.get_completion_unit_display(),
    }
    return ServiceOut(
        service_code=matter.code,
        service_name=matter.name,
        description=description,
        metadata=False,
        type="realtime",
        keywords=", ".join(dict.fromkeys([matter.name_zh, matter.name_en])),
        group=matter.category.name,
    ).model_dump(mode="json")


@api.get(
    "/services.{format}",
    response={200: list[ServiceOut], 400: ERRORS, 404: ERRORS},
    url_name="services",
    summary="Service list: the catalogue's active matters",
    openapi_extra=_xml_doc(200, 400, 404),
)
def service_list(request, format: Format, jurisdiction_id: str | None = None):
    _check_jurisdiction(jurisdiction_id)
    return _render(format, [_service(m) for m in _matters()], "services", "service")


@api.get(
    "/services/{service_code}.{format}",
    response={200: ServiceDefinitionOut, 400: ERRORS, 404: ERRORS},
    url_name="service_definition",
    summary="Service definition: our matters have no extra attributes",
    openapi_extra=_xml_doc(200, 400, 404),
)
def service_definition(
    request, service_code: str, format: Format, jurisdiction_id: str | None = None
):
    _check_jurisdiction(jurisdiction_id)
    matter = _matters().filter(code=service_code).first()
    if matter is None:
        raise Open311Error(404, _("No service has this code."))
    body = ServiceDefinitionOut(service_code=matter.code, attributes=[]).model_dump(mode="json")
    if format == "xml":
        tree = _element("service_definition", body)
        content = ET.tostring(tree, encoding="utf-8", xml_declaration=True)
        response = HttpResponse(content, content_type="application/xml; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


# --- Requests -------------------------------------------------------------------------------------

AUTH = [ApiKey(), Bearer()]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(microsecond=0) if value else None


def _status_notes(ticket: Ticket) -> str:
    notes = []
    events = getattr(ticket, "public_events", None) or []
    if events:
        last = events[-1]
        notes.append(str(EVENT_WORDS.get(last.action, last.get_action_display())))
    else:
        notes.append(str(STATUS_WORDS.get(ticket.status, ticket.get_status_display())))
    if ticket.public_reason:
        notes.append(ticket.public_reason)
    return " · ".join(notes)


def _request(ticket: Ticket) -> dict:
    agency = ticket.department.name if ticket.department_id else ticket.area.name
    return RequestOut(
        service_request_id=ticket.short_code,
        status="open" if ticket.status in OPEN_STATUSES else "closed",
        status_notes=_status_notes(ticket),
        service_name=ticket.matter.name,
        service_code=ticket.matter.code,
        description=ticket.description,
        agency_responsible=agency,
        service_notice="",
        requested_datetime=_local(ticket.submitted_at),
        updated_datetime=_local(ticket.updated_at),
        expected_datetime=_local(ticket.completion_due),
        address=ticket.address,
        address_id=ticket.area.code if ticket.area.level == Level.GRID else "",
        zipcode="",
        lat=ticket.latitude,
        long=ticket.longitude,
        media_url="",
    ).model_dump(mode="json")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    """In UTC: PostgreSQL refuses offsets it does not know (+20:50), Python does not."""
    try:
        value = timezone.make_aware(value) if timezone.is_naive(value) else value
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise Open311Error(400, _("%(name)s is out of range.") % {"name": name}) from None


@api.get(
    "/requests.{format}",
    auth=AUTH,
    response={200: list[RequestOut], 400: ERRORS, 401: ERRORS, 404: ERRORS},
    url_name="requests",
    summary="Service requests in the client's area (last 90 days unless dates are given)",
    openapi_extra=_xml_doc(200, 400, 401, 404),
)
def request_list(
    request,
    format: Format,
    jurisdiction_id: str | None = None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    status: str | None = None,
):
    client: ApiClient = request.auth
    _check_jurisdiction(jurisdiction_id, client)
    tickets = _in_scope(client)
    ids = _split(service_request_id)
    if ids:
        # The spec: with ids, the other filters are ignored.
        tickets = tickets.filter(short_code__in=ids[:MAX_REQUESTS])
    else:
        now = timezone.now()
        end = _aware(end_date, "end_date") if end_date else now
        if start_date:
            start = _aware(start_date, "start_date")
        else:
            earliest = dt.datetime.min.replace(tzinfo=dt.UTC) + dt.timedelta(days=DEFAULT_DAYS)
            start = max(end, earliest) - dt.timedelta(days=DEFAULT_DAYS)
        if start > end:
            raise Open311Error(400, _("start_date must not be after end_date."))
        tickets = tickets.filter(submitted_at__gte=start, submitted_at__lte=end)
        codes = _split(service_code)
        if codes:
            tickets = tickets.filter(matter__code__in=codes)
        wanted = set(_split(status))
        if wanted - {"open", "closed"}:
            raise Open311Error(400, _("status is open, closed or both (open,closed)."))
        if wanted == {"open"}:
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        elif wanted == {"closed"}:
            tickets = tickets.exclude(status__in=OPEN_STATUSES)
    tickets = tickets.order_by("-submitted_at", "-pk")[:MAX_REQUESTS]
    return _render(format, [_request(t) for t in tickets], "service_requests", "request")


@api.get(
    "/requests/{service_request_id}.{format}",
    auth=AUTH,
    response={200: list[RequestOut], 400: ERRORS, 401: ERRORS, 404: ERRORS},
    url_name="request",
    summary="One service request (a list of one, as the spec says)",
    openapi_extra=_xml_doc(200, 400, 401, 404),
)
def request_detail(
    request, service_request_id: str, format: Format, jurisdiction_id: str | None = None
):
    client: ApiClient = request.auth
    _check_jurisdiction(jurisdiction_id, client)
    ticket = _in_scope(client).filter(short_code=service_request_id).first()
    if ticket is None:
        raise Open311Error(404, _("No request has this id."))
    return _render(format, [_request(ticket)], "service_requests", "request")


@api.post(
    "/requests.{format}",
    auth=AUTH,
    response={200: list[CreatedOut], 400: ERRORS, 401: ERRORS, 404: ERRORS, 409: ERRORS},
    url_name="requests_create",
    summary="Create a service request (form-encoded)",
    description=(
        "Where: lat and long, or address_id (a grid's code). description is required (up to "
        "2000 characters). phone is a mainland mobile number. An optional Idempotency-Key "
        "header makes a retry return the first request instead of filing another."
    ),
    openapi_extra=_xml_doc(200, 400, 401, 404, 409),
)
def request_create(request, format: Format, data: Form[RequestIn]):
    client: ApiClient = request.auth
    _check_jurisdiction(data.jurisdiction_id, client)
    matter = _matters().filter(code=data.service_code).first()
    if matter is None:
        raise Open311Error(400, _("No service has this code."))
    description = data.description.strip()
    if not description:
        raise Open311Error(400, _("description: this field is required."))
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(
            400, _("description: at most %(n)s characters.") % {"n": DESCRIPTION_MAX}
        )
    address = (data.address_string or "").strip()
    if len(address) > 200:
        raise Open311Error(400, _("address_string: at most 200 characters."))
    name = " ".join(p.strip() for p in (data.first_name, data.last_name) if p and p.strip())
    if len(name) > 50:
        raise Open311Error(400, _("first_name and last_name: at most 50 characters together."))
    phone = ""
    if data.phone:
        try:
            phone = MobileField(required=False).clean(data.phone)
        except ValidationError as error:
            raise Open311Error(400, "phone: " + " ".join(error.messages)) from None
    grid, community, lon, lat = None, None, data.long, data.lat
    if data.address_id:
        grid = Area.objects.filter(code=data.address_id, level=Level.GRID).first()
        if grid is None:
            raise Open311Error(400, _("address_id: no grid has this code."))
    elif lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise Open311Error(400, _("lat and long are WGS-84 degrees."))
        grid, community = _locate(client.area, lon, lat)
        if grid is None and community is None:
            raise Open311Error(
                400, _("This point is outside %(area)s.") % {"area": client.area.name}
            )
    else:
        raise Open311Error(400, _("Give lat and long, or address_id (a grid's code)."))
    key = request.headers.get("Idempotency-Key", "").strip()
    if key and not _KEY_SHAPE.match(key):
        raise Open311Error(400, _("Idempotency-Key: 1 to 80 printable characters."))
    fingerprint = ""
    if key:
        fields = {k: v for k, v in data.dict().items() if v is not None}
        fingerprint = hashlib.sha256(
            json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        first = Ticket.objects.filter(api_client=client, idempotency_key=key).first()
        if first is not None and first.idempotency_fingerprint not in ("", fingerprint):
            raise Open311Error(
                409, _("This Idempotency-Key was already used for a different request.")
            )
    try:
        ticket = services.submit(
            channel=Channel.SYSTEM,
            matter=matter,
            description=description,
            address=address,
            reporter_phone=phone,
            reporter_name=name,
            grid=grid,
            community=community,
            longitude=lon,
            latitude=lat,
            api_client=client,
            idempotency_key=key,
            idempotency_fingerprint=fingerprint,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            messages = [
                (f"{field}: " if field != NON_FIELD_ERRORS else "") + " ".join(texts)
                for field, texts in error.message_dict.items()
            ]
        else:
            messages = error.messages
        raise Open311Error(400, "; ".join(messages)) from None
    body = CreatedOut(
        service_request_id=ticket.short_code, service_notice="", account_id=None
    ).model_dump(mode="json")
    return _render(format, [body], "service_requests", "request")


# --- The OpenAPI document -------------------------------------------------------------------------

_TICKET_ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    },
}
_TICKET_CREATED = {
    "type": "object",
    "required": ["code", "status", "area", "tracking_url"],
    "properties": {
        "code": {"type": "string"},
        "status": {"type": "string"},
        "area": {"type": "string"},
        "tracking_url": {"type": "string"},
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# ``POST /api/tickets/`` is a plain Django view (tickets/api.py); it is described here by hand,
# so that one document covers the whole API.
TICKETS_PATH = {
    "post": {
        "operationId": "tickets_api_create_ticket",
        "summary": "Create a resident request (the systems API)",
        "description": (
            "See tickets/api.py. The same token as Open311's api_key. An Idempotency-Key "
            "sent again with the same body answers 200 with the first request."
        ),
        "security": [{"Bearer": []}],
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 80},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["matter", "description"],
                        "properties": {
                            "matter": {"type": "string"},
                            "description": {"type": "string", "maxLength": DESCRIPTION_MAX},
                            "grid": {"type": "string", "maxLength": 32},
                            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
                            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
                            "address": {"type": "string", "maxLength": 200},
                            "reporter_phone": {"type": "string"},
                            "reporter_name": {"type": "string", "maxLength": 50},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": _json(_TICKET_CREATED, "Created"),
            "200": _json(_TICKET_CREATED, "The request this Idempotency-Key first created"),
            "400": _json(_TICKET_ERROR, "Invalid body or Idempotency-Key"),
            "401": _json(_TICKET_ERROR, "No valid token"),
            "409": _json(_TICKET_ERROR, "Idempotency-Key reused for a different body"),
            "415": _json(_TICKET_ERROR, "Not application/json"),
        },
    }
}


def openapi_document() -> dict:
    schema = dict(api.get_openapi_schema())
    schema["paths"] = {**schema["paths"], "/api/tickets/": TICKETS_PATH}
    return schema


def openapi_json(request):
    response = JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
