from django.urls import path

from points.views import community, convener, everyone, exports, members, setup

urlpatterns = [
    path("points/", members.my_points, name="my_points"),
    path("points/declare/", members.declare, name="points_declare"),
    path("points/items/<int:pk>/", everyone.item_detail, name="points_item"),
    path("points/items/<int:pk>/again/", members.redeclare, name="points_redeclare"),
    path("points/items/<int:pk>/return/", convener.return_item, name="points_return"),
    path("points/items/<int:pk>/verify/", community.verify_item, name="points_verify_item"),
    path("points/items/<int:pk>/object/", everyone.object_to, name="points_object"),
    path("points/photos/<int:pk>/", everyone.photo, name="points_photo"),
    path("points/branches/<str:code>/collect/", convener.collect, name="points_collect"),
    path("points/batches/<int:pk>/submit/", convener.submit_batch, name="points_submit_batch"),
    path("points/areas/<str:code>/verify/", community.verify_list, name="points_verify"),
    path("points/areas/<str:code>/publicity/", everyone.publicity, name="points_publicity"),
    path("points/areas/<str:code>/rankings/", everyone.rankings, name="points_rankings"),
    path("points/areas/<str:code>/minimum/", community.minimum, name="points_minimum"),
    path("points/areas/<str:code>/honours/", everyone.honours, name="points_honours"),
    path("points/areas/<str:code>/export.xlsx", exports.export, name="points_export"),
    path("points/areas/<str:code>/rewards/", community.rewards, name="points_rewards"),
    path("points/areas/<str:code>/conduct/", community.record_conduct, name="points_record"),
    # Setting the points up (issue 20): rewards (community), schemes (district), lists (street).
    path(
        "points/areas/<str:code>/rewards/catalogue/",
        setup.reward_catalogue,
        name="points_reward_catalogue",
    ),
    path("points/rewards/<int:pk>/", setup.reward_detail, name="points_reward"),
    path("points/rewards/<int:pk>/stock/", setup.reward_stock, name="points_reward_stock"),
    path("points/areas/<str:code>/schemes/", setup.scheme_list, name="points_schemes"),
    path("points/schemes/<int:pk>/", setup.scheme_detail, name="points_scheme"),
    path("points/schemes/<int:pk>/rules/new/", setup.rule_new, name="points_rule_new"),
    path("points/rules/<int:pk>/revise/", setup.rule_revise, name="points_rule_revise"),
    path("points/areas/<str:code>/honour-lists/", setup.honour_lists, name="points_honour_lists"),
    path("points/honour-lists/<int:pk>/", setup.honour_list_detail, name="points_honour_list"),
]
