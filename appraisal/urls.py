from django.urls import path

from appraisal import ladder_views, views

urlpatterns = [
    path("appraisal/scheme/", views.scheme, name="appraisal_scheme"),
    path("appraisal/me/", views.my_card, name="appraisal_me"),
    path("appraisal/me/<int:year>/<int:month>/", views.my_card, name="appraisal_me_month"),
    path("appraisal/card/<int:pk>/", views.card_detail, name="appraisal_card"),
    path("appraisal/card/<int:pk>/score/", views.card_score, name="appraisal_card_score"),
    path("appraisal/card/<int:pk>/talk/", views.card_talk, name="appraisal_card_talk"),
    path("appraisal/card/<int:pk>/grade/", ladder_views.card_grade, name="appraisal_card_grade"),
    path("appraisal/area/<str:code>/", views.ranking, name="appraisal_ranking"),
    path(
        "appraisal/area/<str:code>/<int:year>/<int:month>/",
        views.ranking,
        name="appraisal_ranking_month",
    ),
    path(
        "appraisal/area/<str:code>/<int:year>/<int:month>/export.xlsx",
        views.export,
        name="appraisal_export",
    ),
    path(
        "appraisal/area/<str:code>/<int:year>/<int:month>/publish/",
        views.publish,
        name="appraisal_publish",
    ),
    path(
        "appraisal/area/<str:code>/promotions/",
        ladder_views.promotions,
        name="appraisal_promotions",
    ),
    path(
        "appraisal/promotion/<int:pk>/decide/",
        ladder_views.decide,
        name="appraisal_promotion_decide",
    ),
]
