"""The systems API: a token per system, an idempotency key per request, the same rules."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid

import pytest
from django.db import connections
from django.urls import reverse

from tests.waiting import STALL_SECONDS, join
from tickets.models import ApiClient, Channel, Event, Status, Ticket

pytestmark = pytest.mark.django_db
URL = "/api/tickets/"
TOKEN = "sensor-token-0123456789abcdefghijklmnopqrstuvwxyz"


def _client_for(area, token=TOKEN, name="高空抛物监测平台", active=True) -> ApiClient:
    return ApiClient.objects.create(
        name=name,
        area=area,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        token_hint=token[-6:],
        active=active,
    )


@pytest.fixture
def sensor(territory, matter):
    """A camera platform that reports into community C1."""
    return _client_for(territory.community)


def _post(client, body, *, token=TOKEN, key=None, raw=None, **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if key is not False:
        headers["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4()) if key is None else key
    return client.post(
        URL,
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
        **headers,
    )


BODY = {"matter": "thrown_objects", "description": "3幢东侧高空抛物，摄像头告警", "grid": "G1"}


def test_the_url_is_api_tickets():
    assert reverse("api_tickets") == URL


def test_a_system_creates_a_request_in_a_grid(client, sensor, settings):
    settings.PUBLIC_BASE_URL = ""  # unset: the address the API was called at
    response = _post(client, {**BODY, "address": "3幢东侧", "reporter_phone": "+86 138 1234 5678"})
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    body = response.json()
    assert body["code"] == ticket.short_code
    assert (body["status"], body["area"]) == ("submitted", "G1")
    assert body["tracking_url"] == f"http://testserver/t/{ticket.tracking_token}/"
    assert (ticket.channel, ticket.api_client, ticket.reporter_phone) == (
        Channel.SYSTEM,
        sensor,
        "13812345678",
    )
    assert ticket.events.get().action == Event.Action.SUBMIT
    assert response["Cache-Control"] == "no-store"


def test_a_retry_with_the_same_key_returns_the_first_request(client, sensor):
    first = _post(client, BODY, key="camera-42-alarm-0001")
    again = _post(client, dict(reversed(BODY.items())), key="camera-42-alarm-0001")
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json() == again.json()
    assert Ticket.objects.count() == 1
    assert _post(client, BODY, key="camera-42-alarm-0002").status_code == 201
    assert Ticket.objects.count() == 2


def test_keys_are_per_system(client, sensor, territory):
    _client_for(territory.community, token="hotline-token-abcdefghijklmnopqrstuvwxyz", name="12345")
    assert _post(client, BODY, key="same-key").status_code == 201
    other = _post(client, BODY, key="same-key", token="hotline-token-abcdefghijklmnopqrstuvwxyz")
    assert other.status_code == 201
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", f"Basic {TOKEN}", "Bearer wrong-token", f"Token {TOKEN}"],
)
def test_without_a_valid_token_the_answer_is_401(client, sensor, authorization):
    headers = {"HTTP_IDEMPOTENCY_KEY": "k1"}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    response = client.post(URL, json.dumps(BODY), content_type="application/json", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "authorization" in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_a_deactivated_system_is_refused(client, sensor):
    sensor.active = False
    sensor.save()
    assert _post(client, BODY).status_code == 401
    assert not Ticket.objects.exists()


def test_a_signed_in_user_is_not_a_system(client, sensor, dispatcher):
    client.force_login(dispatcher)
    assert _post(client, BODY, token=None).status_code == 401


def test_the_token_is_checked_by_its_hash_only(sensor):
    assert TOKEN not in sensor.token_hash and len(sensor.token_hash) == 64


@pytest.mark.parametrize("key", [False, "", "x" * 81, "has space", "中文"])
def test_an_idempotency_key_is_required(client, sensor, key):
    response = _post(client, BODY, key=key)
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_an_eighty_character_key_is_fine(client, sensor):
    assert _post(client, BODY, key="k" * 80).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"description": "x", "grid": "G1"}, "matter"),
        ({**BODY, "matter": "no_such_matter"}, "matter"),
        ({**BODY, "description": ""}, "description"),
        ({**BODY, "description": "   "}, "description"),
        ({**BODY, "description": "x" * 2001}, "description"),
        ({**BODY, "reporter_phone": "12345"}, "reporter_phone"),
        ({**BODY, "reporter_name": "x" * 51}, "reporter_name"),
        ({**BODY, "address": "x" * 201}, "address"),
        ({**BODY, "grid": "NOPE"}, "grid"),
        ({**BODY, "grid": "C1"}, "grid"),  # a community is not a grid
        ({"matter": "thrown_objects", "description": "x"}, "grid"),
        ({"matter": "thrown_objects", "description": "x", "longitude": 120.05}, "grid"),
        (
            {"matter": "thrown_objects", "description": "x", "longitude": 500, "latitude": 31},
            "longitude",
        ),
        ({**BODY, "description": ["a", "list"]}, "description"),
        ({**BODY, "matter": {"code": "x"}}, "matter"),
        ({**BODY, "grid": None, "longitude": "east", "latitude": 31.05}, "longitude"),
        ({**BODY, "grid": None, "longitude": True, "latitude": 31.05}, "longitude"),
    ],
)
def test_invalid_bodies_are_400_with_errors_by_field(client, sensor, body, field):
    response = _post(client, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and all(isinstance(m, str) for m in errors[field]), errors
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(client, sensor, raw):
    response = _post(client, None, raw=raw)
    assert response.status_code == 400
    assert "body" in response.json()["errors"]


def test_a_retired_matter_is_refused(client, sensor, matter):
    from tickets.models import Matter

    Matter.objects.filter(code="thrown_objects").update(active=False)
    response = _post(client, BODY)
    assert response.status_code == 400 and "matter" in response.json()["errors"]


def test_a_grid_outside_the_systems_area_is_refused(client, sensor):
    response = _post(client, {**BODY, "grid": "G3"})  # community C2
    assert response.status_code == 400
    assert "grid" in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_a_position_is_routed_to_the_grid_that_holds_it(client, sensor):
    body = {
        "matter": "thrown_objects",
        "description": "告警",
        "longitude": 120.15,
        "latitude": 31.05,
    }
    response = _post(client, body)
    assert response.status_code == 201 and response.json()["area"] == "G2"
    ticket = Ticket.objects.get()
    assert (ticket.longitude, ticket.latitude) == (120.15, 31.05)


@pytest.mark.parametrize("point", [(120.3, 31.1), (121.5, 30.0)], ids=["other-street", "nowhere"])
def test_a_position_outside_the_systems_area_is_refused(client, sensor, territory, point):
    body = {
        "matter": "thrown_objects",
        "description": "告警",
        "longitude": point[0],
        "latitude": point[1],
    }
    response = _post(client, body)
    assert response.status_code == 400 and "grid" in response.json()["errors"]
    _client_for(territory.street, token="street-token-abcdefghijklmnopqrstuvwxyz", name="街道")
    response = _post(client, body, token="street-token-abcdefghijklmnopqrstuvwxyz")
    assert response.status_code == 400 and "grid" in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_a_point_of_the_community_in_none_of_its_grids_goes_to_its_triage_queue(
    client, sensor, territory
):
    territory.neighbour_grid.boundary = None  # G2 has no boundary drawn yet
    territory.neighbour_grid.save()
    body = {
        "matter": "thrown_objects",
        "description": "告警",
        "longitude": 120.15,
        "latitude": 31.05,
    }
    response = _post(client, body)
    assert response.status_code == 201 and response.json()["area"] == "C1"


def test_only_post_is_allowed(client, sensor):
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_no_csrf_token_is_needed(sensor):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert _post(strict, BODY).status_code == 201


def test_errors_speak_the_callers_language(client, sensor):
    response = _post(client, {**BODY, "grid": "NOPE"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 400
    assert response.headers["Content-Language"] == "zh-hans"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_retries_at_the_same_moment_create_one_request(territory, matter):
    from django.test import Client

    _client_for(territory.community)
    barrier = threading.Barrier(4)
    answers = []

    def send():
        try:
            barrier.wait(STALL_SECONDS)
            answers.append(_post(Client(), BODY, key="alarm-at-once").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    join(threads, what="the four retries to be answered")
    assert sorted(answers) == [200, 200, 200, 201]
    assert Ticket.objects.filter(idempotency_key="alarm-at-once").count() == 1
    assert Ticket.objects.get().status == Status.SUBMITTED


def test_a_key_reused_with_a_different_body_is_a_409_not_the_old_request(client, sensor):
    assert _post(client, BODY, key="camera-42-alarm-0001").status_code == 201
    changed = _post(client, {**BODY, "description": "别的"}, key="camera-42-alarm-0001")
    assert changed.status_code == 409
    assert "idempotency_key" in changed.json()["errors"]
    assert "code" not in changed.json()
    assert Ticket.objects.count() == 1


def test_a_thousand_nested_arrays_are_a_400_json_not_a_500(client, sensor):
    deep = "[" * 1000 + "]" * 1000
    whole = _post(client, None, raw=deep)
    inside = _post(client, None, raw='{"matter": "thrown_objects", "description": ' + deep + "}")
    assert whole.status_code == inside.status_code == 400
    assert whole.json()["errors"] and inside.json()["errors"]
    shallow = _post(client, {**BODY, "description": [[["高空抛物"]]]})
    assert shallow.status_code == 400 and shallow.json()["errors"]["description"]
    assert not Ticket.objects.exists()


def test_a_body_that_is_not_json_is_a_415(client, sensor):
    response = client.post(
        URL,
        {"matter": "thrown_objects", "description": "高空抛物", "grid": "G1"},
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        HTTP_IDEMPOTENCY_KEY="form-post",
    )
    assert response.status_code == 415
    assert response.json()["errors"]
    assert not Ticket.objects.exists()


def test_a_point_outside_the_district_is_refused_even_with_a_grid(client, sensor):
    with_grid = _post(client, {**BODY, "longitude": 0, "latitude": 0})
    without = _post(client, {**BODY, "grid": None, "longitude": 0, "latitude": 0})
    assert with_grid.status_code == without.status_code == 400
    assert with_grid.json()["errors"]["grid"] and without.json()["errors"]["grid"]
    assert not Ticket.objects.exists()
