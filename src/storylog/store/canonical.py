"""Canonical bytes (RFC 8785) and the SHA-256 that chains a story's events.

``rfc8785`` is the reference, but it is pure Python (about 75 µs for one of our
rows). For what storylog hashes, orjson with sorted keys gives the same bytes in
under a microsecond: RFC 8785 and orjson serialise strings identically (checked
for every code point in tests), and differ only in how they order keys outside
ASCII and in numbers storylog never hashes (floats, integers beyond 2^53). So the
fast path is taken only when every key is ASCII and every number a safe integer;
anything else goes to ``rfc8785``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import rfc8785

GENESIS = "0" * 64
SAFE_INTEGER = 2**53 - 1


def canonical(value: Any) -> bytes:
    if _fast_path_agrees(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return rfc8785.dumps(value)


def _fast_path_agrees(value: Any) -> bool:
    """Whether orjson's bytes equal RFC 8785's: ASCII keys, safe integers, no floats.

    Exact types, not isinstance: str, int, bool, dict and list are what JSON decodes to
    and what storylog's records hold; a subclass or anything else goes to the reference.
    Strings, most of a record, are skipped without a call."""
    kind = type(value)
    if kind is dict:
        for key, inner in value.items():
            if type(key) is not str or not key.isascii():
                return False
            if type(inner) is not str and inner is not None and not _fast_path_agrees(inner):
                return False
        return True
    if kind is list or kind is tuple:
        for inner in value:
            if type(inner) is not str and inner is not None and not _fast_path_agrees(inner):
                return False
        return True
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -SAFE_INTEGER <= value <= SAFE_INTEGER
    return False  # floats and anything else: the reference decides


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def event_hash(topic: str, story: str, position: int, record: dict[str, Any]) -> str:
    """The hash of one stored event: everything in its row except the hash itself."""
    hashed = {k: v for k, v in record.items() if k != "hash"}
    hashed.update(type=topic, story=story, position=position)
    return sha256_hex(hashed)
