"""One client address for everything that counts or records clients (core/clientip.py)."""

import pytest
from axes.helpers import get_client_ip_address
from django_ratelimit.core import _get_ip

from core.clientip import AuditlogMiddleware

PROXY = "10.0.0.1"
OWNER = "198.51.100.7"


@pytest.fixture
def behind_proxy(settings):
    settings.CLIENT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"


def test_the_rate_limits_and_the_lockout_see_the_same_client_address(rf, behind_proxy):
    request = rf.post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {OWNER}")
    assert get_client_ip_address(request) == OWNER
    assert _get_ip(request) == OWNER


def test_without_the_header_the_connection_address_counts(rf, behind_proxy):
    # A request that did not pass the proxy (a health probe on the app's own port).
    request = rf.post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not an address")
    assert get_client_ip_address(request) == PROXY
    assert get_client_ip_address(rf.post("/", REMOTE_ADDR=PROXY)) == PROXY


def test_the_audit_log_records_the_same_client_address(rf, behind_proxy):
    # auditlog on its own believes the first X-Forwarded-For entry, which the client wrote.
    request = rf.post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {OWNER}")
    assert AuditlogMiddleware(lambda r: None).get_extra_data(request)["remote_addr"] == OWNER
