"""Per-update keys: each update's content is sealed with a key of its own.

The keys live in their own table, never in an event row. The hash chain
covers the sealed bytes, so destroying one key makes that update's text
unrecoverable while every chain still verifies (erasure for source safety).
"""

from __future__ import annotations

import base64
import os
from binascii import a2b_base64
from typing import Any

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storylog.store.sql import Sql

Envelope = dict[str, str]


class KeyStore:
    def __init__(self, sql: Sql):
        self.sql = sql
        # Secrets by key id (32 bytes each). No cipher objects are kept: one costs under
        # a microsecond to make, and caching one per update held ~1.9 GB at 1M events.
        self._cache: dict[str, bytes | None] = {}
        sql.execute(
            "CREATE TABLE IF NOT EXISTS storylog_keys ("
            f"key_id TEXT PRIMARY KEY, secret {sql.blob_type()}, erased_at TEXT)"
        )

    def key_for(self, key_id: str) -> bytes:
        """The key of an update, made on first use."""
        secret = self.get(key_id)
        if secret is not None:
            return secret
        with self.sql.transaction() as c:
            c.execute(
                "INSERT INTO storylog_keys (key_id, secret) VALUES (?, ?) "
                "ON CONFLICT (key_id) DO NOTHING",
                (key_id, AESGCM.generate_key(bit_length=256)),
            )
        self._cache.pop(key_id, None)
        secret = self.get(key_id)
        if secret is None:
            raise LookupError(f"the key of {key_id} was erased")
        return secret

    def prepare(self, key_ids: list[str]) -> None:
        """Make the keys of many updates in one transaction (imports add thousands)."""
        missing = sorted({k for k in key_ids if self._cache.get(k) is None})
        if not missing:
            return
        with self.sql.transaction() as c:
            c.executemany(
                "INSERT INTO storylog_keys (key_id, secret) VALUES (?, ?) "
                "ON CONFLICT (key_id) DO NOTHING",
                [(k, AESGCM.generate_key(bit_length=256)) for k in missing],
            )
        for row in self._stored(missing):
            self._cache[row["key_id"]] = bytes(row["secret"]) if row["secret"] else None

    def _stored(self, key_ids: list[str]) -> list[Any]:
        """The rows (key_id, secret) of these ids that are stored, 500 ids a query."""
        rows: list[Any] = []
        for start in range(0, len(key_ids), 500):
            chunk = key_ids[start:start + 500]
            rows += self.sql.fetchall(
                "SELECT key_id, secret FROM storylog_keys WHERE key_id IN "
                f"({','.join('?' * len(chunk))})", chunk)
        return rows

    def get(self, key_id: str) -> bytes | None:
        if key_id not in self._cache:
            rows = self.sql.fetchall(
                "SELECT secret FROM storylog_keys WHERE key_id = ?", (key_id,)
            )
            self._cache[key_id] = bytes(rows[0]["secret"]) if rows and rows[0]["secret"] else None
        return self._cache[key_id]

    def preload(self) -> None:
        """Read every key at once (rebuilds open many updates' content)."""
        for row in self.sql.fetchall("SELECT key_id, secret FROM storylog_keys"):
            self._cache[row["key_id"]] = bytes(row["secret"]) if row["secret"] else None

    def destroy(self, key_id: str) -> None:
        """Erase a key for good: the row goes (its bytes are overwritten, since the
        store runs with secure_delete), and a tombstone says when."""
        from datetime import UTC, datetime

        with self.sql.transaction() as c:
            c.execute("DELETE FROM storylog_keys WHERE key_id = ?", (key_id,))
            c.execute("INSERT INTO storylog_keys (key_id, secret, erased_at) VALUES (?, NULL, ?)",
                      (key_id, datetime.now(UTC).isoformat()))
        self.forget(key_id)

    def forget(self, key_id: str) -> None:
        self._cache.pop(key_id, None)

    def put(self, key_id: str, secret: bytes) -> None:
        """Store a key carried by an export (``storylog load``)."""
        self.put_many({key_id: secret})

    def put_many(self, secrets: dict[str, bytes]) -> list[str]:
        """Store the keys an export carries, in one transaction; returns the ids that
        were not there before (so a load that fails afterwards can take them back)."""
        ids = sorted(secrets)
        existing = {row["key_id"] for row in self._stored(ids)}
        new = [k for k in ids if k not in existing]
        with self.sql.transaction() as c:
            c.executemany("INSERT INTO storylog_keys (key_id, secret) VALUES (?, ?) "
                          "ON CONFLICT (key_id) DO NOTHING", [(k, secrets[k]) for k in new])
        for k in new:
            self._cache.pop(k, None)
        return new

    def remove_unused(self, key_ids: list[str]) -> None:
        """Take back keys stored for a load that then failed (no event uses them)."""
        with self.sql.transaction() as c:
            c.executemany("DELETE FROM storylog_keys WHERE key_id = ?", [(k,) for k in key_ids])
        for k in key_ids:
            self._cache.pop(k, None)

    def seal(self, key_id: str, content: Any) -> Envelope:
        nonce = os.urandom(12)
        box = AESGCM(self.key_for(key_id)).encrypt(
            nonce, orjson.dumps(content), key_id.encode()
        )
        return {"key": key_id, "nonce": _b64(nonce), "box": _b64(box)}

    def open(self, envelope: Envelope) -> Any | None:
        """The sealed content, or None when its key was erased."""
        secret = self.get(envelope["key"])
        if secret is None:
            return None
        plain = AESGCM(secret).decrypt(
            a2b_base64(envelope["nonce"]),
            a2b_base64(envelope["box"]),
            envelope["key"].encode(),
        )
        return orjson.loads(plain)


def key_id(story: str, update_id: str) -> str:
    return f"{story}/{update_id}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
