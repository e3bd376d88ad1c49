"""Forging an export as an attacker with the file in hand would: change what a line says,
re-seal its content with the key the file carries, and recompute every hash after it
(and the head each publication pins), so that the chain verifies and only validation
can tell the file from one storylog wrote."""

from __future__ import annotations

import base64
import copy
import os
from collections.abc import Callable
from typing import Any

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storylog.store.canonical import GENESIS, event_hash
from storylog.store.sealing import key_id

Lines = list[dict[str, Any]]


def parse(text: str | bytes) -> Lines:
    raw = text.encode() if isinstance(text, str) else text
    return [orjson.loads(line) for line in raw.splitlines() if line.strip()]


def forge(lines: Lines, change: Callable[[Lines], Any]) -> bytes:
    """The file after ``change`` (which edits a deep copy in place), re-sealed and
    re-hashed: a forgery whose every hash checks out."""
    forged = copy.deepcopy(lines)
    change(forged)
    heads: dict[str, str] = {}
    for line in forged:
        record = line["record"]
        if "key" in line and "content" in line and isinstance(record.get("payload"), dict):
            record["sealed"] = seal(line["story_id"], str(record["payload"].get("update_id")),
                                    bytes.fromhex(line["key"]), line["content"])
        prev = heads.get(line["story_id"], GENESIS)
        record["prev"] = prev
        payload = record.get("payload")
        if isinstance(payload, dict) and "version" in payload and "head" in payload:
            payload["head"] = prev
        try:
            record["hash"] = event_hash(line["topic"], line["story_id"], line["position"],
                                        record)
        except ValueError:  # a value RFC 8785 has no form for (an integer past 2^53)
            record["hash"] = GENESIS  # no one can hash it: the chain check refuses it

        heads[line["story_id"]] = record["hash"]
    return b"".join(orjson.dumps(line) + b"\n" for line in forged)


def seal(story: str, update_id: str, secret: bytes, content: Any) -> dict[str, str]:
    kid = key_id(story, update_id)
    nonce = os.urandom(12)
    box = AESGCM(secret).encrypt(nonce, orjson.dumps(content), kid.encode())
    return {"key": kid, "nonce": base64.b64encode(nonce).decode(),
            "box": base64.b64encode(box).decode()}
