"""The published development keys of personal data at rest (core.crypto).

Used with DEBUG on (``make run``, the tests) and by the benchmarks' production-like
processes, whose databases were seeded with them. Derived from fixed labels, not from
SECRET_KEY, so that a changed SECRET_KEY never strands a development database. Never for
production: anyone can read them here.
"""

from __future__ import annotations

import base64
import hashlib
import os


def _key(label: bytes) -> str:
    return "dev:" + base64.b64encode(hashlib.sha256(label).digest()).decode("ascii")


FIELD_ENCRYPTION_KEYS = _key(b"grid-governance development field encryption key")
FIELD_HASH_KEYS = _key(b"grid-governance development field hash key")


def environ() -> dict[str, str]:
    """The keys of this environment, or the development ones where it has none."""
    return {
        "FIELD_ENCRYPTION_KEYS": os.environ.get("FIELD_ENCRYPTION_KEYS") or FIELD_ENCRYPTION_KEYS,
        "FIELD_HASH_KEYS": os.environ.get("FIELD_HASH_KEYS") or FIELD_HASH_KEYS,
    }
