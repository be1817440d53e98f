from django.urls import path

from grids import privacy_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("areas/", views.my_area, name="my_area"),
    path("areas/<str:code>/", views.area_detail, name="area_detail"),
    path("areas/<str:code>/households/", views.household_list, name="household_list"),
    path("areas/<str:code>/residents/", views.resident_list, name="resident_list"),
    path("areas/<str:code>/households/new/", views.household_create, name="household_create"),
    path("areas/<str:code>/households/export.csv", views.household_export, name="household_export"),
    path("exports/approvals/", views.export_approvals, name="export_approvals"),
    path("exports/approvals/<int:pk>/decide/", views.export_decide, name="export_decide"),
    path("areas/<str:code>/staffing/", views.area_staffing, name="area_staffing"),
    path("areas/<str:code>/coverage/", views.area_coverage, name="area_coverage"),
    path("areas/<str:code>/posts/new/", views.post_create, name="post_create"),
    path("areas/<str:code>/posts/give/", views.post_give, name="post_give"),
    path("areas/<str:code>/cover/", views.area_cover, name="area_cover"),
    path("areas/<str:code>/cover/leave/<int:pk>/", views.leave_edit, name="leave_edit"),
    path("areas/<str:code>/cover/leave/<int:pk>/end/", views.leave_end, name="leave_end"),
    path("areas/<str:code>/people/", views.area_people, name="area_people"),
    path("areas/<str:code>/people/<int:pk>/", views.person_detail, name="person_detail"),
    path(
        "areas/<str:code>/people/<int:pk>/password/",
        views.person_reset_password,
        name="person_reset_password",
    ),
    path(
        "areas/<str:code>/people/<int:pk>/invite/",
        views.person_invite,
        name="person_invite",
    ),
    path(
        "areas/<str:code>/people/<int:pk>/active/",
        views.person_set_active,
        name="person_set_active",
    ),
    path("posts/<int:pk>/end/", views.post_end, name="post_end"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/residents/new/", views.resident_create, name="resident_create"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/reveal/<str:field>/", views.resident_reveal, name="resident_reveal"),
    # PIPL: what is held about one resident, printed for them; how long records are kept.
    path(
        "residents/<int:pk>/held/",
        privacy_views.subject_access,
        name="resident_subject_access",
    ),
    path("retention/", privacy_views.retention_settings, name="retention_settings"),
]
