from django.urls import path

from stations import views

urlpatterns = [
    # Public: no sign-in, for residents on a phone.
    path("stations/", views.directory, name="station_directory"),
    path("stations/<str:code>/", views.station_public, name="station_public"),
    path("stations/<str:code>/poster/", views.station_poster, name="station_poster"),
    path("stations/<str:code>/photos/<int:pk>/", views.station_photo, name="station_photo"),
    # /r/<code>/ itself is the residents' request form (tickets.public_views).
    path("r/<str:code>/poster/", views.grid_poster, name="grid_poster"),
    # Staff: scoped to the areas of their posts.
    path("areas/<str:code>/stations/", views.station_list, name="station_list"),
    path("areas/<str:code>/stations/new/", views.station_create, name="station_create"),
    path("areas/<str:code>/station-coverage/", views.station_coverage, name="station_coverage"),
    path("manage/stations/<str:code>/", views.station_detail, name="station_detail"),
    path("manage/stations/<str:code>/edit/", views.station_edit, name="station_edit"),
    path("manage/stations/<str:code>/photos/", views.photo_add, name="station_photo_add"),
    path(
        "manage/stations/<str:code>/inspections/new/",
        views.inspection_create,
        name="inspection_create",
    ),
    path("manage/stations/<str:code>/activities/", views.activity_list, name="activity_list"),
    path(
        "manage/stations/<str:code>/activities/new/",
        views.activity_create,
        name="activity_create",
    ),
    path("manage/stations/<str:code>/served/", views.served_record, name="served_record"),
    path("manage/station-photos/<int:pk>/delete/", views.photo_delete, name="station_photo_delete"),
    path("manage/inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path(
        "manage/inspection-items/<int:pk>/photo/", views.inspection_photo, name="inspection_photo"
    ),
    path("manage/activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("manage/activity-photos/<int:pk>/", views.activity_photo, name="activity_photo"),
]
