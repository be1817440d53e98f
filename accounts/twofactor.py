"""A second factor at sign-in: a TOTP code from an authenticator app (django-otp).

Optional for anyone (district and street staff are asked to): once a device is confirmed,
signing in takes the password and then a code (accounts/twofactor_views.py); the session is
not signed in until the code is right. django-otp throttles wrong codes per device (1, 2, 4,
8 … seconds between tries, kept in the database) and refuses a code used before.

For step-up checks elsewhere (revealing or exporting personal data):

- ``has_device(user)``: a confirmed device.
- ``verify_code(user, code)``: the code is right (throttled; a used code is refused).
- ``required_for(user)``: whether a second factor is required of this user. accounts cannot
  see posts or capabilities, so the rule is registered from a layer that can
  (``require_when(rule)``, e.g. in grids' AppConfig.ready: "holds a capability to reveal or
  export personal data"). No rule registered: never required.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import _log

DEVICE_NAME = "authenticator"
_rules: list[Callable[[object], bool]] = []


def require_when(rule: Callable[[object], bool]) -> None:
    """Register a rule: ``rule(user)`` True means this user needs a second factor."""
    if rule not in _rules:
        _rules.append(rule)


def required_for(user) -> bool:
    return bool(user and user.is_authenticated) and any(rule(user) for rule in _rules)


def _devices(user, *, confirmed: bool = True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed)


def has_device(user) -> bool:
    return bool(user and user.pk) and _devices(user).exists()


def _clean(code: str) -> str:
    return "".join((code or "").split())


def wait_seconds(user) -> int:
    """Seconds until a code may be tried again (0: now)."""
    waits = []
    for device in _devices(user):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append((data["locked_until"] - timezone.now()).total_seconds())
    return max(0, int(max(waits, default=0)) + (1 if waits else 0))


@transaction.atomic
def verify_code(user, code: str) -> bool:
    """The code from the user's confirmed device is right. A wrong one, or one tried while
    throttled, is False and slows the next try."""
    code = _clean(code)
    if not code.isdigit():
        return False
    return any(device.verify_token(code) for device in _devices(user).select_for_update())


# --- Setting up and removing ------------------------------------------------------------------


@transaction.atomic
def pending_device(user) -> TOTPDevice:
    """The device being set up: kept across page loads until confirmed, so the QR code scanned
    stays the one that is checked."""
    device = _devices(user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def confirm(user, code: str) -> bool:
    """Confirms the device being set up when ``code`` comes from it; it replaces any other."""
    device = _devices(user, confirmed=False).select_for_update().order_by("-pk").first()
    code = _clean(code)
    if device is None or not code.isdigit() or not device.verify_token(code):
        return False
    _devices(user).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _log(user, user, {"two_factor": ["off", "on"]})
    return True


@transaction.atomic
def remove(user) -> int:
    """Removes every device: sign-in asks for the password alone again."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        _log(user, user, {"two_factor": ["on", "off"]})
    return removed
