import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from core import metrics
from core.health import health, readiness


@never_cache
@require_GET
def healthz(request):
    status, body = health()
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def readyz(request):
    status, body = readiness()
    return JsonResponse(body, status=status)


# Headers a proxy adds: a request carrying one came from outside, whatever its address.
_FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def metrics_allowed(request) -> bool:
    """The scraper's address (straight, not through the proxy) or the bearer token."""
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    if any(request.META.get(name) for name in _FORWARDED):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_IPS)


@never_cache
@require_GET
def metrics_view(request):
    # 404, not 403: nobody outside learns that there is something here.
    if not metrics_allowed(request):
        raise Http404
    return HttpResponse(metrics.scrape(), content_type=CONTENT_TYPE_LATEST)
