from tests.access import FOUND, LOGIN, MISSING, OK

_pk = lambda obj: {"pk": obj.pk}  # noqa: E731
_OWN = (FOUND, MISSING, MISSING, MISSING, MISSING, LOGIN)

# An area's robots are for those who form its team: the street officer of S1 and the district;
# to anyone else the area's robots do not exist (302: deactivated, back to the robot's page).
_TEAM = (MISSING, MISSING, OK, MISSING, OK, LOGIN)
_TEAM_WRITES = (MISSING, MISSING, FOUND, MISSING, FOUND, LOGIN)


def _robot(territory) -> dict:
    from notifications.models import WebhookTarget

    robot = WebhookTarget.objects.create(
        area=territory.community,
        channel="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
    )
    return {"pk": robot.pk}


_street = lambda t: {"code": t.street.code}  # noqa: E731

CASES = {
    # The bell: everyone signed in has their own list and settings; a notification is its
    # recipient's alone (the own-grid worker's), anyone else's is missing.
    "notifications": ("get", "own_notification", lambda n: {}, (OK,) * 5 + (LOGIN,)),
    "notifications_read_all": ("post", "territory", lambda t: {}, (FOUND,) * 5 + (LOGIN,)),
    "notification_preferences": ("get", "territory", lambda t: {}, (OK,) * 5 + (LOGIN,)),
    "notification_read": ("post", "own_notification", _pk, _OWN),
    "notification_open": ("get", "own_notification", _pk, _OWN),
    "area_robots": ("get", "territory", _street, _TEAM),
    "robot_new": ("get", "territory", _street, _TEAM),
    "robot_edit": ("get", "territory", _robot, _TEAM),
    "robot_active": ("post", "territory", _robot, _TEAM_WRITES),
}
