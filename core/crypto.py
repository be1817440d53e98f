"""Personal data at rest: AES-256-GCM for the values, keyed hashes (HMAC-SHA256) to find them.

A stored value reads ``v1:<key id>:<base64(nonce | ciphertext | tag)>``; the key id says
which of ``settings.FIELD_ENCRYPTION_KEYS`` wrote it, so a new key can be put first while
the old ones still decrypt, and ``manage.py rotate_field_keys`` rewrites the rows of the old
ones while the app runs. The column's name (``grids.Resident.phone``) is the associated data:
a value copied into another column, or another table, does not decrypt.

Equality is found through ``<hash key id>:<hex HMAC>`` of the value under each of
``settings.FIELD_HASH_KEYS`` (the first writes, all are matched, so the hash key can rotate
too). The ``purpose`` (``mobile``, ``id_number``) is hashed with the value: a mobile's hash
matches the same mobile in another table, never an ID number.

Keys live in the environment only (README, "Personal data at rest"); nothing here caches
a key outside this process's memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

VERSION = "v1"
PREFIX = VERSION + ":"
NONCE_BYTES = 12
TOKEN_HEX = 16  # choice tokens: 64 bits tell 8 categories apart and stay short


class DecryptionError(ValueError):
    """The value was not written by any configured key, or was changed since."""


@dataclass(frozen=True)
class Keyring:
    current: str
    ciphers: dict[str, AESGCM]
    hash_keys: tuple[tuple[str, bytes], ...]

    @property
    def current_hash(self) -> str:
        return self.hash_keys[0][0]


@cache
def keyring() -> Keyring:
    keys = settings.FIELD_ENCRYPTION_KEYS
    return Keyring(
        current=keys[0][0],
        ciphers={key_id: AESGCM(key) for key_id, key in keys},
        hash_keys=tuple(settings.FIELD_HASH_KEYS),
    )


@receiver(setting_changed)
def _keys_changed(*, setting, **kwargs):
    if setting in ("FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEYS"):
        keyring.cache_clear()
        choice_tables.cache_clear()


def generate_key(key_id: str) -> str:
    """A new ``id:base64`` entry for FIELD_ENCRYPTION_KEYS or FIELD_HASH_KEYS."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode('ascii')}"


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def key_id_of(stored: str) -> str | None:
    parts = stored.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == VERSION else None


def encrypt(value: str, *, column: str) -> str:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.ciphers[ring.current].encrypt(nonce, value.encode("utf-8"), column.encode())
    return f"{VERSION}:{ring.current}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(stored: str, *, column: str) -> str:
    # Every list and export row passes here twice: one split, C base64, no regex.
    parts = stored.split(":", 2)
    key_id = parts[1] if len(parts) == 3 and parts[0] == VERSION else None
    cipher = keyring().ciphers.get(key_id or "")
    if cipher is None:
        raise DecryptionError(f"{column}: no key with id {key_id!r}")
    try:
        raw = memoryview(binascii.a2b_base64(parts[2], strict_mode=True))
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], column.encode()).decode()
    except (InvalidTag, ValueError) as exc:  # binascii.Error and UnicodeError are ValueErrors
        raise DecryptionError(f"{column}: the value does not decrypt under key {key_id!r}") from exc


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def digest(value: str, *, purpose: str) -> str:
    """The lookup hash a row is written with (the current hash key); '' for ''."""
    if not value:
        return ""
    key_id, key = keyring().hash_keys[0]
    return f"{key_id}:{_mac(key, purpose, value)}"


def digests(value: str, *, purpose: str) -> list[str]:
    """Every hash ``value`` may be stored under (one per configured hash key), to look it up."""
    if not value:
        return [""]
    return [f"{key_id}:{_mac(key, purpose, value)}" for key_id, key in keyring().hash_keys]


def token(value: str, *, column: str) -> str:
    """The deterministic stand-in of a choice value in ``column`` under the current hash key."""
    key_id, key = keyring().hash_keys[0]
    return f"{key_id}:{_mac(key, column, value)[:TOKEN_HEX]}"


@cache
def choice_tables(
    column: str, values: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """{token: value} under every hash key, and {value: [its tokens]}."""
    back: dict[str, str] = {}
    forth: dict[str, list[str]] = {}
    for key_id, key in keyring().hash_keys:
        for value in values:
            stored = f"{key_id}:{_mac(key, column, value)[:TOKEN_HEX]}"
            back[stored] = value
            forth.setdefault(value, []).append(stored)
    return back, forth
