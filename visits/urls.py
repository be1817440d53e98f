from django.urls import path

from visits import views

urlpatterns = [
    # 走访: the grid worker's households and the visit form.
    path("visits/", views.my_visits, name="my_visits"),
    path("visits/household/<int:pk>/", views.visit_household, name="visit_household"),
    path("visits/place/<int:pk>/", views.visit_place, name="visit_place"),
    # Kept by the service worker for a doorway without a signal (templates/visits/sw.js).
    path("visits/offline/", views.offline_page, name="visits_offline"),
    path("visits/offline-form/", views.offline_form, name="visit_offline_form"),
    path("visits/households.json", views.offline_households, name="visit_offline_households"),
    path("visits/submit/", views.visit_submit, name="visit_submit"),
    path("visits/sent/<uuid:client_id>/", views.visit_sent, name="visit_sent"),
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
