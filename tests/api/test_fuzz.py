"""Schema-driven fuzzing (schemathesis) of the live API: Open311 and ``POST /api/tickets/``.

A live server, a real token, the OpenAPI document the server itself serves, and for every
operation cases that fit the schema (positive) and cases that break it (negative). Every
answer must be no 5xx, a status code, content type and body that the document declares.
The numbers (requests made, by operation and status) are printed and written to
``var/fuzz-api.txt`` so that a run can be quoted. ``FUZZ_EXAMPLES`` sets the examples per
operation and mode (default 25: about 300 requests, well under a minute).

Random codes would almost never name a matter, a grid or a request, so half of the positive
cases are anchored: their service code, grid or request id is replaced by a real one, the
rest of the case stays random (descriptions, names, phones, dates...). That takes the fuzz
through filing and reading requests, not only through the refusals.
"""

from __future__ import annotations

import collections
import hashlib
import os
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.tickets.fixtures import reported
from tickets.models import ApiClient, Ticket

TOKEN = "fuzz-token-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.django_db(transaction=True)
def test_fuzzing_the_live_api_from_its_schema_finds_no_server_error(
    live_server, territory, matter, capsys
):
    ApiClient.objects.create(
        name="fuzz",
        area=territory.street,
        token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(),
        token_hint=TOKEN[-6:],
    )
    anchors = {
        "service_code": matter.code,
        "matter": matter.code,
        "address_id": territory.grid.code,
        "grid": territory.grid.code,
        "service_request_id": reported(territory, matter)[0].short_code,
        "jurisdiction_id": territory.district.code,
    }
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    counts: collections.Counter = collections.Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    try:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)
                if mode == GenerationMode.POSITIVE:
                    strategy = st.tuples(strategy, st.booleans()).map(
                        lambda pair: _anchored(*pair, anchors)
                    )

                @given(case=strategy)
                @hypothesis_settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def fuzz(case):
                    response = case.call(
                        base_url=live_server.url, headers={"Authorization": f"Bearer {TOKEN}"}
                    )
                    counts[(case.operation.label, response.status_code)] += 1
                    case.validate_response(response, checks=CHECKS)

                fuzz()
    finally:
        report = _report(counts)
        out = Path(settings.BASE_DIR) / "var" / "fuzz-api.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report)
        with capsys.disabled():
            print("\n" + report)
    assert not any(status >= 500 for _label, status in counts)
    # Positive cases did file requests through the service (the fuzz reached the inside).
    assert Ticket.objects.filter(api_client__name="fuzz").exists()


# With these a case files a request; without them, a random phone or point refuses it.
_ANCHORED_BODY = {"service_code": "address_id", "matter": "grid"}
_DROPPED = ("phone", "reporter_phone", "lat", "long", "longitude", "latitude")


def _anchored(case, anchor: bool, anchors: dict):
    if anchor:
        for part in (case.path_parameters, case.query, case.body):
            if isinstance(part, dict):
                for key, where in _ANCHORED_BODY.items():
                    if key in part:
                        part[where] = anchors[where]
                for name in _DROPPED:
                    part.pop(name, None)
                for name in part.keys() & anchors.keys():
                    part[name] = anchors[name]
    return case


def _report(counts: collections.Counter) -> str:
    by_status: collections.Counter = collections.Counter()
    lines = []
    for (label, status), n in sorted(counts.items()):
        by_status[status] += n
        lines.append(f"  {label}: {status} × {n}")
    total = sum(counts.values())
    summary = ", ".join(f"{status}: {n}" for status, n in sorted(by_status.items()))
    server_errors = sum(n for status, n in by_status.items() if status >= 500)
    return "\n".join(
        [f"API fuzz: {total} requests, {server_errors} server errors ({summary})", *lines]
    )
