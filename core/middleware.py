"""Requests carrying a NUL character are refused before any view sees them.

PostgreSQL text columns cannot hold NUL, so a NUL that reaches a query or a
save raises ``ValueError`` and the page 500s. A path with NUL names nothing
(404); a query string or submitted field with NUL is malformed input (400).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

_JSON_NUL = (b"\\u0000", b"\\U0000")


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vals) for key, vals in values.lists())


def _open311_error(request, status: int, message: str) -> HttpResponse:
    """The error shape of Open311 GeoReport v2 (tickets/open311.py), in the path's format."""
    if request.path_info.rstrip("\x00").endswith(".xml"):
        body = (
            f'<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>{status}</code>'
            f"<description>{escape(message)}</description></error></errors>"
        )
        return HttpResponse(body, status=status, content_type="application/xml; charset=utf-8")
    return JsonResponse(
        [{"code": status, "description": message}],
        safe=False,
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        open311 = request.path_info.startswith("/open311/")
        if "\x00" in request.path_info:
            if open311:
                return _open311_error(request, 404, _("Not found."))
            raise Http404
        if _has_nul(request.GET) or self._body_has_nul(request):
            # The message Django itself uses for NUL in a form field.
            message = _("Null characters are not allowed.")
            if open311:
                return _open311_error(request, 400, message)
            if request.content_type == "application/json" or request.path.startswith("/api/"):
                return JsonResponse({"errors": {"__all__": [message]}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)

    @staticmethod
    def _body_has_nul(request) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            # Only the text fields: an uploaded image may hold NUL bytes.
            return _has_nul(request.POST)
        body = request.body
        return b"\x00" in body or any(marker in body for marker in _JSON_NUL)
