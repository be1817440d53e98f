from django.urls import path

from deliberation import public_views, views

urlpatterns = [
    path("deliberation/area/<str:code>/", views.board, name="deliberation_board"),
    path("deliberation/grid/<str:code>/raise/", views.raise_topic, name="deliberation_raise"),
    path("deliberation/topic/<int:pk>/", views.topic_detail, name="deliberation_topic"),
    # Public: residents on a phone, no sign-in (deliberation/public_views.py).
    path("yishi/<str:code>/", public_views.community_page, name="deliberation_public"),
    path("yishi/<str:code>/topic/<int:pk>/", public_views.notice, name="deliberation_notice"),
    path("yishi/<str:code>/projects/", public_views.projects, name="deliberation_projects"),
    path(
        "yishi/<str:code>/projects/<int:pk>/",
        public_views.project,
        name="deliberation_project",
    ),
    path(
        "yishi/<str:code>/photos/<int:pk>/",
        public_views.project_photo,
        name="deliberation_project_photo",
    ),
]
