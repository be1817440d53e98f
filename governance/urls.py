from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core.views import healthz, metrics_view, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("grids.urls")),
    path("", include("notifications.urls")),
    path("", include("visits.urls")),
    path("", include("branches.urls")),
    path("", include("stations.urls")),
    path("", include("points.urls")),
    path("", include("tickets.urls")),
    path("", include("appraisal.urls")),
    path("", include("mediation.urls")),
    path("", include("safety.urls")),
    path("", include("deliberation.urls")),
    path("", include("estates.urls")),
    path("", include("onboarding.urls")),
    path("", include("dashboards.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
