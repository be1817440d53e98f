from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import health


@never_cache
@require_GET
def healthz(request):
    healthy, body = health()
    return JsonResponse(body, status=200 if healthy else 503)
