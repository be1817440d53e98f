"""A NUL character anywhere in a request is refused, never a 500.

PostgreSQL text columns cannot hold NUL; the crawl puts one in every parameter
of every URL pattern (and after every fixed path) as a signed-in officer and as
a stranger.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.tickets.test_api import BODY, _post, sensor  # noqa: F401 (a fixture)
from tests.tickets.test_public import _file
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_SAMPLE = {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = str(pattern.pattern)
        if route.startswith("^"):
            continue  # regex patterns: static files
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # its catch-all is a regex; "/admin/%00/" is tried below
            yield from _routes(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield prefix + route


def _nul_urls():
    urls = set()
    for route in _routes(get_resolver().url_patterns):
        params = list(_PARAM.finditer(route))
        for target in params:

            def fill(match, target=target):
                if match.start() == target.start():
                    return "ab%00cd"
                return _SAMPLE.get(match["conv"] or "str", "abc")

            urls.add("/" + _PARAM.sub(fill, route))
        if not params:
            urls.add(("/" + route).rstrip("/") + "/%00/")
    return sorted(urls)


NUL_URLS = _nul_urls()
REPORTED = ["/r/%00/", "/t/abc%00def/", "/areas/%00/", "/tickets/%00/", "/admin/%00/"]


def test_the_crawl_covers_the_urls_named_in_the_report():
    assert {"/r/ab%00cd/", "/t/ab%00cd/", "/tickets/ab%00cd/"} <= set(NUL_URLS)


@pytest.mark.parametrize("persona_name", ["district_officer", "anonymous"])
def test_a_nul_in_any_path_parameter_is_a_404_not_a_500(persona_name, persona, client):
    persona(persona_name)
    failures = {}
    for url in [*NUL_URLS, *REPORTED]:
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            if status != 404:
                failures[f"{method.upper()} {url}"] = status
    assert not failures


def test_a_nul_in_a_query_string_is_a_400(persona, client):
    persona("district_officer")
    assert client.get("/tickets/", {"q": "a\x00b"}).status_code == 400


def test_a_nul_in_a_form_field_is_a_400_and_stores_nothing(client, matter, territory):
    assert _file(client, matter, description="楼道漏水\x00").status_code == 400
    assert not Ticket.objects.exists()


def test_a_nul_in_an_api_json_field_is_a_400_json(client, sensor):  # noqa: F811
    response = _post(client, {**BODY, "grid": "G1\x00"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]
    raw = _post(client, None, raw=json.dumps(BODY).encode() + b"\x00")
    assert raw.status_code == 400
