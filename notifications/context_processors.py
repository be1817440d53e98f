from django.utils.functional import SimpleLazyObject

from notifications.bell import unread_count


def bell(request):
    """The bell's count of unread notifications: a query only if a page renders it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread": SimpleLazyObject(lambda: unread_count(user))}
