from django.urls import path

from dashboards import department_views, views

urlpatterns = [
    path("dashboard/", views.home, name="dashboard_home"),
    path("dashboard/<str:code>/", views.dashboard, name="dashboard"),
    path("dashboard/<str:code>/data.json", views.dashboard_data, name="dashboard_data"),
    path("dashboard/<str:code>/export.xlsx", views.dashboard_export, name="dashboard_export"),
    path("dashboard/<str:code>/points/", views.dashboard_points, name="dashboard_points"),
    path("dashboard/<str:code>/wall/", views.dashboard_wall, name="dashboard_wall"),
    path("dashboard/<str:code>/wall.json", views.dashboard_wall_data, name="dashboard_wall_data"),
    path(
        "dashboard/<str:code>/departments/",
        department_views.dashboard_departments,
        name="dashboard_departments",
    ),
    path(
        "dashboard/<str:code>/departments/export.xlsx",
        department_views.dashboard_departments_export,
        name="dashboard_departments_export",
    ),
    path(
        "dashboard/<str:code>/affairs/",
        department_views.dashboard_affairs,
        name="dashboard_affairs",
    ),
    path(
        "dashboard/<str:code>/affairs/export.xlsx",
        department_views.dashboard_affairs_export,
        name="dashboard_affairs_export",
    ),
]
