"""Open311 GeoReport v2 (tickets/open311.py), checked against the spec's examples.

The spec's shapes (wiki.open311.org/GeoReport_v2): a service list of
``service_code, service_name, description, metadata, type, keywords, group``; a service
definition of ``service_code, attributes``; a POST answered by
``[{service_request_id, service_notice, account_id}]``; requests with ``service_request_id,
status, status_notes, service_name, service_code, description, agency_responsible,
service_notice, requested_datetime, updated_datetime, expected_datetime, address,
address_id, zipcode, lat, long, media_url``; errors as ``[{code, description}]``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from defusedxml import ElementTree as SafeET
from django.utils import timezone

from tests.tickets.fixtures import reported
from tickets import services
from tickets.models import ApiClient, Channel, Status, Ticket

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
TOKEN = "hotline-12345-token-0123456789abcdefghijklmnopqrstuv"
OTHER_TOKEN = "other-street-token-0123456789abcdefghijklmnopqrstu"

SERVICE_KEYS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def _client_for(area, token=TOKEN, name="12345热线") -> ApiClient:
    return ApiClient.objects.create(
        name=name,
        area=area,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        token_hint=token[-6:],
    )


@pytest.fixture
def hotline(territory, matter):
    """12345 for street S1."""
    return _client_for(territory.street)


@pytest.fixture
def other_hotline(territory, matter):
    """A system of street S2."""
    return _client_for(territory.other_street, token=OTHER_TOKEN, name="二号街道平台")


def _xml(response):
    assert response["Content-Type"].startswith("application/xml")
    return SafeET.fromstring(response.content)


def _error(response, code):
    assert response.status_code == code
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == code and body[0]["description"]
    return body[0]


def _post(client, data, *, fmt="json", **headers):
    return client.post(f"{BASE}/requests.{fmt}", data, **headers)


FORM = {"api_key": TOKEN, "service_code": "stairwell_clutter", "description": "楼道堆放杂物"}


# --- Services ---------------------------------------------------------------------------------


def test_the_service_list_has_the_specs_fields_for_each_active_matter(client, matter):
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    services_ = response.json()
    by_code = {s["service_code"]: s for s in services_}
    assert "stairwell_clutter" in by_code and "micro_wish" not in by_code
    for service in services_:
        assert set(service) == SERVICE_KEYS
        assert service["metadata"] is False and service["type"] == "realtime"
    assert by_code["stairwell_clutter"]["group"] == matter.category.name


def test_an_inactive_matter_is_not_a_service(client, matter):
    matter.active = False
    matter.save(update_fields=["active"])
    codes = {s["service_code"] for s in client.get(f"{BASE}/services.json").json()}
    assert "stairwell_clutter" not in codes


def test_the_service_list_in_xml_is_services_of_service(client, matter):
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    first = root.find("service")
    assert {child.tag for child in first} == SERVICE_KEYS
    assert first.findtext("metadata") == "false" and first.findtext("type") == "realtime"


def test_a_service_definition_has_no_attributes(client, matter):
    response = client.get(f"{BASE}/services/stairwell_clutter.json")
    assert response.json() == {"service_code": "stairwell_clutter", "attributes": []}
    root = _xml(client.get(f"{BASE}/services/stairwell_clutter.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "stairwell_clutter"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0


def test_an_unknown_service_is_a_404_in_the_specs_error_shape(client, matter):
    _error(client.get(f"{BASE}/services/no_such_thing.json"), 404)
    response = client.get(f"{BASE}/services/no_such_thing.xml")
    assert response.status_code == 404
    root = _xml(response)
    assert root.tag == "errors"
    assert root.find("error").findtext("code") == "404"
    assert root.find("error").findtext("description")


def test_the_jurisdiction_is_the_district_code(client, territory, matter):
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "D"}).status_code == 200
    _error(client.get(f"{BASE}/services.json", {"jurisdiction_id": "S1"}), 404)
    _error(client.get(f"{BASE}/services/stairwell_clutter.json", {"jurisdiction_id": "X"}), 404)


# --- Creating requests ------------------------------------------------------------------------


def test_a_post_files_a_request_through_the_same_service_as_the_systems_api(
    client, territory, hotline
):
    response = _post(
        client,
        {
            **FORM,
            "jurisdiction_id": "D",
            "lat": "31.05",
            "long": "120.05",
            "address_string": "幸福花园3幢",
            "first_name": "阿姨",
            "last_name": "张",
            "phone": "+86 138 1234 5678",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 1 and set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    ticket = Ticket.objects.get()
    assert body[0]["service_request_id"] == ticket.short_code
    assert (ticket.channel, ticket.api_client, ticket.area) == (
        Channel.SYSTEM,
        hotline,
        territory.grid,
    )
    assert (ticket.reporter_phone, ticket.reporter_name, ticket.address) == (
        "13812345678",
        "阿姨 张",
        "幸福花园3幢",
    )
    assert ticket.events.get().action == "submit"


def test_a_post_by_grid_code_with_a_bearer_token_answers_in_xml(client, territory, hotline):
    form = {k: v for k, v in FORM.items() if k != "api_key"}
    response = _post(
        client, {**form, "address_id": "G3"}, fmt="xml", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 200
    root = _xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request.findtext("service_request_id") == Ticket.objects.get().short_code
    assert Ticket.objects.get().area == territory.far_grid


def test_a_post_outside_the_clients_area_is_refused(client, territory, hotline):
    _error(_post(client, {**FORM, "address_id": "G4"}), 400)
    _error(_post(client, {**FORM, "lat": "31.1", "long": "120.3"}), 400)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"service_code": "no_such_matter"},
        {"service_code": "micro_wish"},
        {"description": "  "},
        {"description": "长" * 2001},
        {"lat": "abc", "long": "120"},
        {"lat": "31.05"},
        {"address_id": "NOPE"},
        {"phone": "12345"},
        {"address_string": "x" * 201},
    ],
)
def test_an_invalid_post_is_a_400_with_the_specs_error_body(client, hotline, change):
    form = {**FORM, "lat": "31.05", "long": "120.05", **change}
    if "lat" in change and "long" not in change:
        form.pop("long")
    _error(_post(client, form), 400)
    assert not Ticket.objects.exists()


def test_a_post_without_a_valid_key_is_a_401(client, hotline):
    form = {k: v for k, v in FORM.items() if k != "api_key"}
    response = _post(client, {**form, "address_id": "G1"})
    _error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    _error(_post(client, {**form, "address_id": "G1", "api_key": "wrong"}), 401)
    hotline.active = False
    hotline.save(update_fields=["active"])
    _error(_post(client, {**FORM, "address_id": "G1"}), 401)


def test_a_wrong_jurisdiction_on_a_post_is_a_404(client, hotline):
    _error(_post(client, {**FORM, "address_id": "G1", "jurisdiction_id": "ELSEWHERE"}), 404)
    assert not Ticket.objects.exists()


def test_a_retry_with_the_same_idempotency_key_files_one_request(client, hotline):
    form = {**FORM, "address_id": "G1"}
    first = _post(client, form, HTTP_IDEMPOTENCY_KEY="12345-call-0001")
    again = _post(client, form, HTTP_IDEMPOTENCY_KEY="12345-call-0001")
    assert first.json() == again.json()
    assert Ticket.objects.count() == 1
    changed = _post(
        client, {**form, "description": "别的事"}, HTTP_IDEMPOTENCY_KEY="12345-call-0001"
    )
    _error(changed, 409)


# --- Reading requests -------------------------------------------------------------------------


def _get(client, path="requests.json", token=TOKEN, **params):
    return client.get(f"{BASE}/{path}", {"api_key": token, **params} if token else params)


def test_a_request_reads_back_with_the_specs_fields_and_no_personal_data(
    client, ticket, hotline, street_officer
):
    services.accept(by=street_officer, ticket=ticket, note="街道王主任：尽快处理")
    response = _get(client, f"requests/{ticket.short_code}.json")
    assert response.status_code == 200
    [body] = response.json()
    assert set(body) == REQUEST_KEYS
    assert body["service_request_id"] == ticket.short_code
    assert (body["status"], body["service_code"]) == ("open", "stairwell_clutter")
    assert body["status_notes"] == "Accepted by the community"
    assert body["address"] == "幸福花园3幢2单元" and body["address_id"] == "G1"
    assert body["agency_responsible"] == "幸福第一网格" and body["media_url"] == ""
    text = response.content.decode()
    for secret in ("13812345678", "张阿姨", "王主任", street_officer.username):
        assert secret not in text
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        when = dt.datetime.fromisoformat(body[field])
        assert when.utcoffset() == dt.timedelta(hours=8)
    ticket.refresh_from_db()
    assert dt.datetime.fromisoformat(body["expected_datetime"]) == ticket.completion_due.replace(
        microsecond=0
    )


def test_the_request_list_in_xml_is_service_requests_of_request(client, ticket, hotline):
    Ticket.objects.filter(pk=ticket.pk).update(description="控制字符\x01\x08也不破坏XML")
    root = _xml(_get(client, "requests.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert {child.tag for child in request} == REQUEST_KEYS
    assert request.findtext("description") == "控制字符也不破坏XML"
    assert request.findtext("status") == "open"


@pytest.mark.parametrize(
    ("status", "open311"),
    [
        (Status.SUBMITTED, "open"),
        (Status.SUSPENDED, "open"),
        (Status.RESOLVED, "closed"),
        (Status.CLOSED, "closed"),
        (Status.REJECTED, "closed"),
        (Status.MERGED, "closed"),
    ],
)
def test_our_statuses_map_to_open_and_closed(client, ticket, hotline, status, open311):
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    assert _get(client).json()[0]["status"] == open311
    other = "closed" if open311 == "open" else "open"
    assert _get(client, status=open311).json() != []
    assert _get(client, status=other).json() == []
    assert len(_get(client, status="open,closed").json()) == 1


def test_a_rejected_request_gives_its_public_reason(client, ticket, hotline, street_officer):
    services.reject(by=street_officer, ticket=ticket, reason="属于物业管理范围，请联系物业")
    [body] = _get(client).json()
    assert body["status"] == "closed"
    assert "属于物业管理范围" in body["status_notes"]


def test_the_list_filters_by_id_service_and_dates(client, territory, matter, hotline):
    old = services.submit(
        channel=Channel.QR,
        matter=matter,
        description="很久以前",
        reporter_phone="13812345678",
        grid=territory.grid,
        at=timezone.now() - dt.timedelta(days=120),
    )
    recent = reported(territory, matter, n=2)
    listed = {r["service_request_id"] for r in _get(client).json()}
    assert listed == {t.short_code for t in recent}  # the last 90 days by default
    by_id = _get(client, service_request_id=f"{old.short_code},{recent[0].short_code}")
    assert {r["service_request_id"] for r in by_id.json()} == {old.short_code, recent[0].short_code}
    start = (timezone.now() - dt.timedelta(days=130)).isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    ranged = _get(client, start_date=start, end_date=end).json()
    assert [r["service_request_id"] for r in ranged] == [old.short_code]
    assert _get(client, service_code="thrown_objects").json() == []
    assert len(_get(client, service_code="thrown_objects,stairwell_clutter").json()) == 2


def test_a_client_of_another_street_cannot_read_the_request(client, ticket, other_hotline):
    _error(_get(client, f"requests/{ticket.short_code}.json", token=OTHER_TOKEN), 404)
    assert _get(client, token=OTHER_TOKEN).json() == []
    assert _get(client, token=OTHER_TOKEN, service_request_id=ticket.short_code).json() == []


def test_reading_needs_the_key_and_the_right_jurisdiction(client, ticket, hotline):
    _error(_get(client, token=None), 401)
    _error(_get(client, f"requests/{ticket.short_code}.json", token=None), 401)
    ok = client.get(f"{BASE}/requests.json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert ok.status_code == 200 and len(ok.json()) == 1
    _error(_get(client, jurisdiction_id="S1"), 404)
    assert _get(client, jurisdiction_id="D").status_code == 200
    _error(_get(client, f"requests/{ticket.short_code}.json", jurisdiction_id="X"), 404)


def test_an_unknown_request_is_a_404_in_json_and_xml(client, hotline):
    _error(_get(client, "requests/NOSUCH00.json"), 404)
    response = _get(client, "requests/NOSUCH00.xml")
    assert response.status_code == 404 and _xml(response).find("error").findtext("code") == "404"


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"end_date": "2026-13-45"},
        {"status": "pending"},
        {"start_date": "2026-12-01T00:00:00+08:00", "end_date": "2026-11-01T00:00:00+08:00"},
    ],
)
def test_invalid_filters_are_a_400(client, hotline, params):
    _error(_get(client, **params), 400)


def test_an_unknown_format_is_a_400_not_a_500(client, hotline):
    _error(_get(client, "requests.csv"), 400)
    _error(client.get(f"{BASE}/services.html"), 400)


def test_the_list_takes_a_constant_number_of_queries(
    client, territory, matter, hotline, django_assert_max_num_queries
):
    reported(territory, matter, n=1)
    with django_assert_max_num_queries(6):
        assert len(_get(client).json()) == 1
    reported(territory, matter, n=49)
    with django_assert_max_num_queries(6):
        assert len(_get(client).json()) == 50


# --- The OpenAPI document -----------------------------------------------------------------------


def test_the_openapi_document_describes_open311_and_the_systems_api(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert "/api/tickets/" in paths
    assert {"get", "post"} <= set(paths["/open311/v2/requests.{format}"])
    assert "/open311/v2/services/{service_code}.{format}" in paths
    assert set(document["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}


@pytest.mark.parametrize(
    "params",
    [
        # Found by the fuzz (tests/api/test_fuzz.py): an offset Python takes, PostgreSQL not.
        {"start_date": "1874-03-22T21:06:27+20:50", "end_date": "4324-11-25T11:47:35Z"},
        {"end_date": "0001-01-01T00:00:00"},
        {"start_date": "0001-01-01T00:00:00+10:00"},
    ],
)
def test_dates_at_the_edges_of_the_calendar_are_answered_not_a_500(client, hotline, params):
    assert _get(client, **params).status_code in (200, 400)
