from django.urls import path

from onboarding import views

urlpatterns = [
    path("areas/<str:code>/import/", views.hub, name="import_hub"),
    path("areas/<str:code>/import/<int:pk>/", views.run_detail, name="import_run"),
    path("areas/<str:code>/import/<int:pk>/progress", views.run_progress, name="import_progress"),
    path("areas/<str:code>/import/<int:pk>/confirm", views.run_confirm, name="import_confirm"),
    path("areas/<str:code>/import/<int:pk>/report", views.run_report, name="import_report"),
    path("areas/<str:code>/export/<slug:kind>", views.export, name="import_export"),
    path("import/templates/<slug:kind>.<slug:lang>.xlsx", views.template, name="import_template"),
]
