from django.urls import path

from tickets import (
    api,
    api_clients,
    calendar,
    catalogue_pages,
    cohandling_pages,
    community_rules,
    joint_views,
    open311,
    operations,
    public_views,
    views,
)

urlpatterns = [
    path("tickets/", views.board, name="ticket_board"),
    path(
        "tickets/areas/<str:code>/rules/",
        community_rules.community_rules,
        name="community_ticket_rules",
    ),
    # Joint actions (联合执法 / 联合处置) of a street or community (tickets/joint_views.py).
    path("joint-actions/areas/<str:code>/", joint_views.joint_actions, name="joint_actions"),
    path(
        "joint-actions/areas/<str:code>/new/",
        joint_views.joint_action_new,
        name="joint_action_new",
    ),
    path("joint-actions/<int:pk>/", joint_views.joint_action_detail, name="joint_action_detail"),
    path(
        "joint-actions/photos/<int:pk>/", joint_views.joint_action_photo, name="joint_action_photo"
    ),
    path("tickets/export.csv", views.export, name="ticket_export"),
    path("tickets/mine/", views.my_tasks, name="my_tasks"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/bulk-assign/", views.bulk_assign, name="ticket_bulk_assign"),
    path("tickets/photos/<int:pk>/", views.photo, name="ticket_photo"),
    path("tickets/from-decision/<int:pk>/", views.decision_ticket, name="decision_ticket"),
    path("tickets/<str:code>/", views.ticket_detail, name="ticket_detail"),
    path(
        "tickets/<str:code>/accept-and-assign/",
        views.accept_assign,
        name="ticket_accept_assign",
    ),
    # Co-handling (吹哨报到 with several departments; tickets/cohandling_pages.py).
    path("tickets/<str:code>/summon/", cohandling_pages.summon, name="ticket_summon"),
    path(
        "tickets/<str:code>/override-parts/",
        cohandling_pages.override,
        name="ticket_override_cohandling",
    ),
    path(
        "tickets/<str:code>/summons/<int:pk>/acknowledge/",
        cohandling_pages.summons_acknowledge,
        name="summons_acknowledge",
    ),
    path(
        "tickets/<str:code>/summons/<int:pk>/report/",
        cohandling_pages.summons_report,
        name="summons_report",
    ),
    path("tickets/<str:code>/<str:action>/", views.ticket_act, name="ticket_act"),
    # The command centre's operations page: the sweep and the messages (tickets/operations.py).
    path("operations/", operations.operations, name="operations"),
    path(
        "operations/deliveries/<int:pk>/retry/",
        operations.delivery_retry,
        name="delivery_retry",
    ),
    # The working-day calendar, district staff's (tickets/calendar.py).
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/<int:pk>/delete/", calendar.calendar_delete, name="calendar_delete"),
    # The catalogue of matters and departments, district staff's (tickets/catalogue_pages.py).
    path("catalogue/", catalogue_pages.catalogue, name="catalogue"),
    path("catalogue/matters/new/", catalogue_pages.matter_new, name="matter_new"),
    path("catalogue/matters/<int:pk>/", catalogue_pages.matter_edit, name="matter_edit"),
    path("catalogue/matters/<int:pk>/active/", catalogue_pages.matter_active, name="matter_active"),
    path("catalogue/departments/new/", catalogue_pages.department_new, name="department_new"),
    path(
        "catalogue/departments/<int:pk>/",
        catalogue_pages.department_edit,
        name="department_edit",
    ),
    path(
        "catalogue/departments/<int:pk>/active/",
        catalogue_pages.department_active,
        name="department_active",
    ),
    # Systems allowed to file requests, and their tokens (tickets/api_clients.py).
    path("api-clients/", api_clients.api_clients, name="api_clients"),
    path("api-clients/<int:pk>/", api_clients.api_client_detail, name="api_client_detail"),
    path("api-clients/<int:pk>/rotate/", api_clients.api_client_rotate, name="api_client_rotate"),
    path("api-clients/<int:pk>/active/", api_clients.api_client_active, name="api_client_active"),
    path(
        "api-clients/<int:pk>/callback/",
        api_clients.api_client_callback,
        name="api_client_callback",
    ),
    path(
        "api-clients/<int:pk>/callback/secret/",
        api_clients.api_client_callback_secret,
        name="api_client_callback_secret",
    ),
    # Public: residents on a phone, no sign-in (tickets/public_views.py).
    path("r/<str:code>/", public_views.resident_request, name="resident_request"),
    path("t/", public_views.track_lookup, name="track_lookup"),
    path("t/<str:token>/", public_views.ticket_track, name="ticket_track"),
    path("t/<str:token>/photos/<int:pk>/", public_views.track_photo, name="track_photo"),
    path("wishes/<str:code>/", public_views.wish_wall, name="wish_wall"),
    path("wishes/<str:code>/new/", public_views.wish_new, name="wish_new"),
    path("wishes/<str:code>/<int:pk>/claim/", public_views.wish_claim, name="wish_claim"),
    path("wishes/<str:code>/<int:pk>/unit/", public_views.wish_unit, name="wish_unit"),
    # Systems: sensors and the 12345 hotline (token and idempotency key; tickets/api.py).
    path("api/tickets/", api.create_ticket, name="api_tickets"),
    # Open311 GeoReport v2 on the same tokens (tickets/open311.py), and the OpenAPI document.
    path("open311/v2/", open311.api.urls),
    path("api/openapi.json", open311.openapi_json, name="api_openapi"),
]
