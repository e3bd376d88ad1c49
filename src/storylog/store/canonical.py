"""Canonical bytes (RFC 8785) and the SHA-256 that chains a story's events."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

GENESIS = "0" * 64


def canonical(value: Any) -> bytes:
    return rfc8785.dumps(value)


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def event_hash(topic: str, story: str, position: int, record: dict[str, Any]) -> str:
    """The hash of one stored event: everything in its row except the hash itself."""
    hashed = {k: v for k, v in record.items() if k != "hash"}
    hashed.update(type=topic, story=story, position=position)
    return sha256_hex(hashed)
