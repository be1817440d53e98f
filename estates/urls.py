from django.urls import path

from estates import views

urlpatterns = [
    path("estates/area/<str:code>/", views.area_estates, name="estates_area"),
    path("estates/company/<int:pk>/", views.company_detail, name="estates_company"),
    path(
        "estates/area/<str:code>/company/<int:pk>/rate/<str:period>/",
        views.rate,
        name="estates_rate",
    ),
    path("estates/area/<str:code>/lists/", views.area_lists, name="estates_lists"),
    path(
        "estates/area/<str:code>/lists/<str:period>/publish/",
        views.publish,
        name="estates_publish",
    ),
    path("estates/public/<str:code>/", views.public_list, name="estates_public"),
]
