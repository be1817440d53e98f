"""Typed reads of the environment that stop start-up with the variable's name.

django-environ alone accepts ``DEBUG=maybe`` as False and reports a bad
``DATABASE_URL`` deep in a traceback; operators need one line that says
which variable is wrong and what it should look like.
"""

from __future__ import annotations

import ipaddress
import zoneinfo
from collections.abc import Callable
from typing import Any, TypeVar

import environ
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}

env = environ.Env()


def _read(name: str, parse: Callable[[str], T], default: T, hint: str) -> T:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    try:
        return parse(raw)
    except (
        ValueError,
        TypeError,
        KeyError,
        ImproperlyConfigured,
        zoneinfo.ZoneInfoNotFoundError,
    ) as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not valid: {hint} ({exc})") from exc


def boolean(name: str, default: bool) -> bool:
    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError("not a boolean")

    return _read(name, parse, default, "use true/false, 1/0, yes/no or on/off")


def integer(name: str, default: int, minimum: int | None = None) -> int:
    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value

    return _read(name, parse, default, "an integer")


def number(name: str, default: float, minimum: float, maximum: float) -> float:
    def parse(raw: str) -> float:
        value = float(raw)
        if not minimum <= value <= maximum:
            raise ValueError(f"must be from {minimum} to {maximum}")
        return value

    return _read(name, parse, default, f"a number from {minimum} to {maximum}")


def string(name: str, default: str) -> str:
    return _read(name, str, default, "text")


def listing(name: str, default: list[str]) -> list[str]:
    return _read(
        name,
        lambda raw: [item.strip() for item in raw.split(",") if item.strip()],
        default,
        "a comma-separated list",
    )


def networks(name: str, default: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Addresses or networks (10.0.0.0/8), comma-separated; one address is a network of one."""

    def parse(raw: str):
        return [ipaddress.ip_network(item.strip()) for item in raw.split(",") if item.strip()]

    return _read(
        name,
        parse,
        [ipaddress.ip_network(item) for item in default],
        "comma-separated addresses or networks, e.g. 127.0.0.1,::1,10.0.0.0/8",
    )


def time_zone(name: str, default: str) -> str:
    def parse(raw: str) -> str:
        zoneinfo.ZoneInfo(raw)
        return raw

    return _read(name, parse, default, "an IANA time zone such as Asia/Shanghai")


def choice(name: str, default: str, allowed: list[str]) -> str:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"one of {', '.join(allowed)}")
        return raw

    return _read(name, parse, default, f"one of {', '.join(allowed)}")


def database(name: str, default: str) -> dict[str, Any]:
    """The database a URL names; with an empty default, ``{}`` when the variable is unset or
    empty (an optional one)."""

    def parse(raw: str) -> dict[str, Any]:
        config = environ.Env.db_url_config(raw)
        if not config.get("ENGINE"):
            raise ValueError("unknown scheme")
        if config["ENGINE"] not in (
            "django.db.backends.postgresql",
            "django.db.backends.sqlite3",
        ):
            raise ValueError("only postgres:// and sqlite:// are supported")
        return config

    raw = env.str(name, default=default)
    if not raw and not default:
        return {}  # an optional database, not configured
    try:
        return parse(raw)
    except (ValueError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not valid: use postgres://user:pass@host:5432/db "
            f"or sqlite:////absolute/path.sqlite3 ({exc})"
        ) from exc


def url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    def parse(raw: str) -> str:
        if not raw and not default:
            return ""
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if scheme not in schemes:
            raise ValueError(f"scheme must be one of {', '.join(schemes)}")
        return raw

    return _read(
        name, parse, default, f"a URL starting with {' or '.join(s + '://' for s in schemes)}"
    )


def email(name: str, default: str) -> dict[str, Any]:
    def parse(raw: str) -> dict[str, Any]:
        config = environ.Env.email_url_config(raw)
        if not config.get("EMAIL_BACKEND"):
            raise ValueError("unknown scheme")
        return config

    return _read(
        name,
        parse,
        parse(default),
        "smtp://user:pass@host:25, smtp+tls://…, consolemail:// or dummymail://",
    )


def hosts(name: str, default_port: int) -> list[tuple[str, int]]:
    """``host:port,host:port`` (the port may be left out) as [(host, port), …]."""

    def parse(raw: str) -> list[tuple[str, int]]:
        found = []
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            host, _, port = item.rpartition(":") if ":" in item else (item, "", "")
            if not host:
                raise ValueError(f"no host in {item!r}")
            found.append((host, int(port) if port else default_port))
        return found

    return _read(
        name, parse, [], f"a comma-separated list of host:port (port {default_port} if left out)"
    )


def keys(name: str, default: str, size: int | None = None) -> list[tuple[str, bytes]]:
    """``id:base64,id:base64``: named keys, the first the current one (core.crypto). ``size``:
    the exact length of each decoded key in bytes; otherwise at least 32."""
    import base64
    import binascii
    import re

    def parse(raw: str) -> list[tuple[str, bytes]]:
        found: list[tuple[str, bytes]] = []
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            key_id, _, encoded = item.partition(":")
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,12}", key_id):
                raise ValueError(f"key id {key_id!r}: 1 to 12 letters, digits, - or _")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"key {key_id!r} is not base64") from exc
            if (size is not None and len(key) != size) or len(key) < 32:
                raise ValueError(
                    f"key {key_id!r} has {len(key)} bytes, not {size or 'at least 32'}"
                )
            if key_id in {k for k, _ in found}:
                raise ValueError(f"key id {key_id!r} given twice")
            found.append((key_id, key))
        if not found:
            raise ValueError("no key")
        return found

    raw = env.str(name, default=None) or default
    try:
        return parse(raw) if raw else []
    except ValueError as exc:
        # Unlike the other variables, the value is not repeated: it is a secret.
        raise ImproperlyConfigured(
            f"{name} is not valid: comma-separated id:base64-key, the current key first "
            f"(python manage.py generate_field_key makes one) ({exc})"
        ) from None
