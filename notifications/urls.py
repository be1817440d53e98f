from django.urls import path

from notifications import inbox

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
]
