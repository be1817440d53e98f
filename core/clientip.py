"""The one answer to "which address did this request come from", for everything that counts
or records clients: the public forms' rate limits (``RATELIMIT_IP_META_KEY``), the sign-in
lockout (``AXES_CLIENT_IP_CALLABLE``) and the audit log (``AuditlogMiddleware`` below, and the
personal-data access entries the views write).

Behind the reverse proxy every connection comes from the proxy, so each client would share
its limits with everyone; ``CLIENT_IP_META_KEY`` (from ``RATELIMIT_IP_HEADER``) names the
header the proxy writes the client's address into.
"""

from __future__ import annotations

import ipaddress

from auditlog.middleware import AuditlogMiddleware as _AuditlogMiddleware
from django.conf import settings


def client_ip(request) -> str:
    """The client's address: the last entry of the proxy's header, else the connection's."""
    # A proxy that appends (nginx's $proxy_add_x_forwarded_for) writes what it saw last; any
    # entry before it is whatever the client chose to send, so trusting it would let anyone
    # pick whose limits they use up.
    sent = request.META.get(settings.CLIENT_IP_META_KEY, "").rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(sent))
    except ValueError:
        # No header: the request did not pass the proxy (a probe on the app's own port), so
        # the connection's address is the client's. Nor is a malformed value kept: the
        # lockout stores addresses in an inet column, where it would fail the sign-in.
        return request.META.get("REMOTE_ADDR", "")


class AuditlogMiddleware(_AuditlogMiddleware):
    """django-auditlog's, recording ``client_ip``: on its own it takes the first entry of
    X-Forwarded-For, which is whatever the client wrote there."""

    @staticmethod
    def _get_remote_addr(request):
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_ip(request) or None
