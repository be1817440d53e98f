from django.http import JsonResponse
from django.urls import path

from governance.urls import urlpatterns as app_urlpatterns


def floor(request):
    """As little as Django can do per request: the middleware and a small JSON answer."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/floor/", floor), *app_urlpatterns]
