from django.urls import path

from notifications import inbox, robots

# The bell: each person's own notifications and channels (notifications/inbox.py).
urlpatterns = [
    path("notifications/", inbox.notifications, name="notifications"),
    path("notifications/read/", inbox.notifications_read_all, name="notifications_read_all"),
    path(
        "notifications/preferences/",
        inbox.notification_preferences,
        name="notification_preferences",
    ),
    path("notifications/<int:pk>/read/", inbox.notification_read, name="notification_read"),
    path("notifications/<int:pk>/open/", inbox.notification_open, name="notification_open"),
    # An area's group robots (notifications/robots.py).
    path("areas/<str:code>/robots/", robots.area_robots, name="area_robots"),
    path("areas/<str:code>/robots/new/", robots.robot_new, name="robot_new"),
    path("robots/<int:pk>/", robots.robot_edit, name="robot_edit"),
    path("robots/<int:pk>/active/", robots.robot_active, name="robot_active"),
]
