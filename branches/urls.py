from django.urls import path

from branches import views

urlpatterns = [
    path("areas/<str:code>/branches/", views.area_branches, name="area_branches"),
    path("areas/<str:code>/branches/new/", views.branch_create, name="branch_create"),
    path("areas/<str:code>/members/new/", views.member_create, name="member_create"),
    path("areas/<str:code>/links/", views.area_links, name="area_links"),
    path("areas/<str:code>/registrations/", views.area_registrations, name="area_registrations"),
    path(
        "areas/<str:code>/registrations/new/", views.registration_create, name="registration_create"
    ),
    path("areas/<str:code>/cobuilding/", views.area_cobuilding, name="area_cobuilding"),
    path("areas/<str:code>/cobuilding/new/", views.unit_create, name="unit_create"),
    path("areas/<str:code>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("branches/<str:code>/", views.branch_detail, name="branch_detail"),
    path("branches/<str:code>/edit/", views.branch_edit, name="branch_edit"),
    path("branches/<str:code>/groups/new/", views.group_create, name="group_create"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/links/", views.member_link, name="member_link"),
    path("members/<int:pk>/invite/", views.member_invite, name="member_invite"),
    path("members/<int:pk>/services/new/", views.service_create, name="service_create"),
    path("links/<int:pk>/remove/", views.link_remove, name="link_remove"),
    path("registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    # Public, no sign-in: the 双报到 form reached from a link or QR code.
    path("join/<str:code>/", views.join, name="join"),
]
