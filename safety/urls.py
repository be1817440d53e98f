from django.urls import path

from safety import views

urlpatterns = [
    # 网格+安全: the grid worker's places and the checklist walk.
    path("safety/", views.my_places, name="safety_mine"),
    path("safety/place/<int:pk>/patrol/", views.patrol, name="safety_patrol"),
    path("safety/patrol/<int:pk>/", views.patrol_detail, name="safety_patrol_detail"),
    path("safety/photo/<int:pk>/", views.photo, name="safety_photo"),
    path("safety/hazard/<int:pk>/", views.hazard_detail, name="safety_hazard"),
    path("safety/hazard/<int:pk>/fixed/", views.hazard_fixed, name="safety_hazard_fixed"),
    path("safety/hazard/<int:pk>/recheck/", views.hazard_recheck, name="safety_hazard_recheck"),
    path("areas/<str:code>/safety/places/", views.area_places, name="safety_places"),
    path("areas/<str:code>/safety/hazards/", views.area_hazards, name="safety_hazards"),
]
