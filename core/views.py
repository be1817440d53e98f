import functools
import hashlib

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import health


@never_cache
@require_GET
def healthz(request):
    healthy, body = health()
    return JsonResponse(body, status=200 if healthy else 503)


@functools.cache
def _service_worker_script() -> str:
    # The static URLs change only with a release: render once per process.
    probe = render_to_string("core/sw.js", {"version": ""})
    version = hashlib.sha256(probe.encode()).hexdigest()[:12]
    return render_to_string("core/sw.js", {"version": version})


@never_cache
@require_GET
def service_worker(request):
    """/sw.js from the site's root, so that it may look after pages outside /static/.

    Rendered to carry the static files' (hashed) URLs; its asset cache is named after them,
    so a release with new assets replaces the old cache.
    """
    return HttpResponse(_service_worker_script(), content_type="text/javascript; charset=utf-8")
