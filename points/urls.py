from django.urls import path

from points import views

urlpatterns = [
    path("points/", views.my_points, name="my_points"),
    path("points/declare/", views.declare, name="points_declare"),
    path("points/items/<int:pk>/", views.item_detail, name="points_item"),
    path("points/items/<int:pk>/again/", views.redeclare, name="points_redeclare"),
    path("points/items/<int:pk>/return/", views.return_item, name="points_return"),
    path("points/items/<int:pk>/verify/", views.verify_item, name="points_verify_item"),
    path("points/items/<int:pk>/object/", views.object_to, name="points_object"),
    path("points/photos/<int:pk>/", views.photo, name="points_photo"),
    path("points/branches/<str:code>/collect/", views.collect, name="points_collect"),
    path("points/batches/<int:pk>/submit/", views.submit_batch, name="points_submit_batch"),
    path("points/areas/<str:code>/verify/", views.verify_list, name="points_verify"),
    path("points/areas/<str:code>/publicity/", views.publicity, name="points_publicity"),
    path("points/areas/<str:code>/rankings/", views.rankings, name="points_rankings"),
    path("points/areas/<str:code>/minimum/", views.minimum, name="points_minimum"),
    path("points/areas/<str:code>/honours/", views.honours, name="points_honours"),
    path("points/areas/<str:code>/export.xlsx", views.export, name="points_export"),
    path("points/areas/<str:code>/rewards/", views.rewards, name="points_rewards"),
    path("points/areas/<str:code>/conduct/", views.record_conduct, name="points_record"),
]
