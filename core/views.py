from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import health


@never_cache
@require_GET
def healthz(request):
    status, body = health()
    return JsonResponse(body, status=status)
