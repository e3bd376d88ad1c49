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
META_TABLE = ("CREATE TABLE IF NOT EXISTS storylog_key_meta (name TEXT PRIMARY KEY, "
              "value TEXT NOT NULL)")


class KeyStore:
    """The keys of every update, in ``sql``: the events database itself (``location``
    None, the way every store began) or a key store apart from it (see keystore.py)."""

    def __init__(self, sql: Sql, location: str | None = None, url: str = ""):
        self.sql = sql
        self.location = location  # printable: no password
        self._url = url
        # Secrets by key id (32 bytes each). No cipher objects are kept: one costs under
        # a microsecond to make, and caching one per update held ~1.9 GB at 1M events.
        self._cache: dict[str, bytes | None] = {}
        sql.execute(
            "CREATE TABLE IF NOT EXISTS storylog_keys ("
            f"key_id TEXT PRIMARY KEY, secret {sql.blob_type()}, erased_at TEXT)"
        )
        if location is not None:
            sql.execute(META_TABLE)

    @property
    def apart(self) -> bool:
        return self.location is not None

    def store_id(self, *, create: bool = False) -> str | None:
        """This key store's id, which its events and its backups carry (made on demand:
        a store from before keys could live apart has none until it needs one)."""
        self.sql.execute(META_TABLE)
        if create:
            import uuid

            self.sql.execute("INSERT INTO storylog_key_meta (name, value) VALUES "
                             "('store_id', ?) ON CONFLICT (name) DO NOTHING", (uuid.uuid4().hex,))
        rows = self.sql.fetchall("SELECT value FROM storylog_key_meta WHERE name = 'store_id'")
        return str(rows[0]["value"]) if rows else None

    def set_store_id(self, store_id: str) -> None:
        """Take the id of the store a backup came from (``storylog restore``)."""
        self.sql.execute(META_TABLE)
        self.sql.execute("INSERT INTO storylog_key_meta (name, value) VALUES ('store_id', ?) "
                         "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (store_id,))

    def count(self) -> int:
        return int(self.sql.fetchall("SELECT count(*) AS n FROM storylog_keys")[0]["n"])

    def rows(self) -> list[tuple[str, bytes | None, str | None]]:
        """Every (key id, secret, erased at): live keys and erasures' tombstones."""
        return [(r["key_id"], bytes(r["secret"]) if r["secret"] is not None else None,
                 r["erased_at"]) for r in
                self.sql.fetchall("SELECT key_id, secret, erased_at FROM storylog_keys "
                                  "ORDER BY key_id")]

    def put_rows(self, rows: list[tuple[str, bytes | None, str | None]]) -> None:
        """Store keys and tombstones as another key store held them; a tombstone wins over
        a live key (an erasure is never undone by a copy)."""
        with self.sql.transaction() as c:
            c.executemany("INSERT INTO storylog_keys (key_id, secret, erased_at) VALUES (?, ?, ?) "
                          "ON CONFLICT (key_id) DO NOTHING", rows)
            c.executemany("UPDATE storylog_keys SET secret = NULL, erased_at = ? "
                          "WHERE key_id = ? AND secret IS NOT NULL",
                          [(erased, k) for k, secret, erased in rows if secret is None])
        self._cache.clear()

    def close(self) -> None:
        if self.apart:
            self.sql.datastore.close()

    def scrub(self) -> None:
        """Make the bytes of destroyed keys unrecoverable from a key store apart (the
        events database's own scrub covers keys kept inside it)."""
        if not self.apart:
            return
        from storylog.store.sql import KEYS_TABLE, scrub_postgres, scrub_sqlite_file

        if self.sql.postgres:
            scrub_postgres(self._url, (KEYS_TABLE,))
        else:
            scrub_sqlite_file(self._url)

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
