from django.urls import path

from visits import views

urlpatterns = [
    # 走访: the grid worker's households and the visit form.
    path("visits/", views.my_visits, name="my_visits"),
    path("visits/household/<int:pk>/", views.visit_household, name="visit_household"),
    path("visits/place/<int:pk>/", views.visit_place, name="visit_place"),
    path("visits/submit/", views.visit_submit, name="visit_submit"),
    path("areas/<str:code>/visits/", views.visit_report, name="visit_report"),
    path("areas/<str:code>/visit-plan/", views.visit_plan, name="visit_plan"),
    path("areas/<str:code>/visit-plan/reset/", views.visit_plan_reset, name="visit_plan_reset"),
    path("areas/<str:code>/places/", views.area_places, name="area_places"),
    path(
        "areas/<str:code>/visits/export.csv",
        views.visit_report_export,
        name="visit_report_export",
    ),
    # At the site's root: a service worker looks after pages under its own path only.
    path("sw.js", views.service_worker, name="service_worker"),
]
