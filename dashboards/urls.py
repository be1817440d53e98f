from django.urls import path

from dashboards import views

urlpatterns = [
    path("dashboard/", views.home, name="dashboard_home"),
    path("dashboard/<str:code>/", views.dashboard, name="dashboard"),
]
