from tests.access import FOUND, LOGIN, MISSING, OK

_pk = lambda obj: {"pk": obj.pk}  # noqa: E731
_OWN = (FOUND, MISSING, MISSING, MISSING, MISSING, LOGIN)

CASES = {
    # The bell: everyone signed in has their own list and settings; a notification is its
    # recipient's alone (the own-grid worker's), anyone else's is missing.
    "notifications": ("get", "own_notification", lambda n: {}, (OK,) * 5 + (LOGIN,)),
    "notifications_read_all": ("post", "territory", lambda t: {}, (FOUND,) * 5 + (LOGIN,)),
    "notification_preferences": ("get", "territory", lambda t: {}, (OK,) * 5 + (LOGIN,)),
    "notification_read": ("post", "own_notification", _pk, _OWN),
    "notification_open": ("get", "own_notification", _pk, _OWN),
}
