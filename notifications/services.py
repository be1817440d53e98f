"""Writes of the notifications app that officers make: an area's group robots (WeCom,
DingTalk), on the robots' pages (notifications/robots.py) and in the admin alike.

Who: the officers who form an area's team (``MANAGE_POSTS``: district, street and community
staff) set up its group chat's robot, at their area and below. The robot's URL (WeCom's
carries its key) and DingTalk's signing secret are credentials: written here, never shown
again (notifications.models.redact for the audit log).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.concurrency import save_if_unchanged
from grids.models import Area
from grids.policy import TerritoryCapability
from grids.services import require
from notifications.models import NoticeChannel, WebhookTarget

ROBOT_CAPABILITY = TerritoryCapability.MANAGE_POSTS
# The query parameter that carries each channel's credential in its webhook URL.
URL_KEYS = {NoticeChannel.WECOM: "key", NoticeChannel.DINGTALK: "access_token"}


def check_robot(robot: WebhookTarget) -> None:
    """The address fits the channel and carries its key; WeCom has no secret."""
    errors = {}
    parts = urlsplit(robot.url or "")
    if parts.scheme != "https":
        errors["url"] = _("A robot's address starts with https://.")
    elif not parse_qs(parts.query).get(URL_KEYS.get(robot.channel, ""), [""])[0]:
        errors["url"] = _(
            "Paste the robot's whole webhook address: it ends with ?%(key)s=… (its key)."
        ) % {"key": URL_KEYS.get(robot.channel, "key")}
    if robot.channel == NoticeChannel.WECOM and robot.secret:
        errors["secret"] = _("A WeCom robot has no signing secret: remove it.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_robot(
    *, by, area: Area, channel: str, url: str, secret: str = "", active: bool = True
) -> WebhookTarget:
    require(by, ROBOT_CAPABILITY, area)
    robot = WebhookTarget(area=area, channel=channel, url=url, secret=secret, active=active)
    robot.full_clean()
    check_robot(robot)
    robot.save()
    return robot


@transaction.atomic
def update_robot(
    *,
    by,
    robot: WebhookTarget,
    expected_version: int | None = None,
    channel: str,
    url: str | None = None,
    secret: str | None = None,
) -> WebhookTarget:
    """Change a robot. ``url`` or ``secret`` None keeps the saved one (the form never shows
    them); ``secret`` "" removes it."""
    require(by, ROBOT_CAPABILITY, robot.area)
    robot.channel = channel
    if url is not None:
        robot.url = url
    if secret is not None:
        robot.secret = secret
    robot.full_clean()
    check_robot(robot)
    save_if_unchanged(robot, expected_version, ["channel", "url", "secret"])
    return robot


@transaction.atomic
def set_robot_active(
    *, by, robot: WebhookTarget, active: bool, expected_version: int | None = None
) -> WebhookTarget:
    """Deactivate (no more messages to it) or reactivate a robot."""
    require(by, ROBOT_CAPABILITY, robot.area)
    robot.active = active
    save_if_unchanged(robot, expected_version, ["active"])
    return robot
