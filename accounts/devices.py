"""A browser's User-Agent header in a few words ("Chrome on Android"), for the sign-in
history and the list of sessions. Not a full parser: the browsers and systems people here
use, in the order that tells them apart (Edge and WeChat also call themselves Chrome and
Safari)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_BROWSERS = (
    ("MicroMessenger/", "WeChat"),
    ("wxwork/", "WeCom"),
    ("DingTalk", "DingTalk"),
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("UCBrowser/", "UC Browser"),
    ("QQBrowser/", "QQ Browser"),
    ("HuaweiBrowser/", "Huawei Browser"),
    ("MiuiBrowser/", "Mi Browser"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    (re.compile(r"HarmonyOS|OpenHarmony"), "HarmonyOS"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"iPhone|iPod"), "iPhone"),
    (re.compile(r"iPad"), "iPad"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Linux"), "Linux"),
)


def describe(user_agent: str) -> str:
    """ "Chrome on Android", "Safari on iPhone", "Firefox", or "Unknown device"."""
    user_agent = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")
