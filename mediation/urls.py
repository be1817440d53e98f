from django.urls import path

from mediation import views

urlpatterns = [
    path("mediation/area/<str:code>/", views.cases, name="mediation_cases"),
    path("mediation/area/<str:code>/new/", views.new_case, name="mediation_new"),
    path("mediation/area/<str:code>/screening/", views.screening, name="mediation_screening"),
    path(
        "mediation/area/<str:code>/screening.xlsx",
        views.screening_export,
        name="mediation_screening_export",
    ),
    path("mediation/case/<int:pk>/", views.case_detail, name="mediation_case"),
    path("mediation/case/<int:pk>/party/", views.add_party, name="mediation_party"),
    path("mediation/case/<int:pk>/step/", views.add_step, name="mediation_step"),
    path("mediation/case/<int:pk>/risk/", views.set_risk, name="mediation_risk"),
    path("mediation/case/<int:pk>/close/", views.close, name="mediation_close"),
    path("mediation/case/<int:pk>/follow-up/", views.follow_up, name="mediation_follow_up"),
    path("mediation/case/<int:pk>/signed-copy/", views.signed_copy, name="mediation_signed_copy"),
]
