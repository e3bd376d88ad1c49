"""Where the update keys live: inside the events database, or apart from it.

A store made before keys could live apart keeps them in its events database (table
``storylog_keys``), and goes on doing so until ``storylog keys move`` takes them out.
A store whose keys live apart records that in its events database (table
``storylog_key_home``: the key store's id and where it was put), and its key store
records the same id (``storylog_key_meta``). Opening such a store without its keys, or
with another store's keys, is refused: content would look erased when it is not.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from storylog.errors import StoreUnavailable, VerificationFailed
from storylog.store.backends import env_for, is_postgres
from storylog.store.sealing import KeyStore
from storylog.store.sql import Sql, holds_rows, table_exists

HOME_TABLE = ("CREATE TABLE IF NOT EXISTS storylog_key_home (name TEXT PRIMARY KEY, "
              "store_id TEXT NOT NULL, location TEXT NOT NULL, moved_at TEXT)")


def shown(location: str) -> str:
    """A key store's location as it may be printed and recorded: no password."""
    if not is_postgres(location):
        return str(Path(location).expanduser().resolve())
    url = urlsplit(location)
    if url.password is None:
        return location
    host = url.hostname or ""
    netloc = f"{url.username}@{host}" + (f":{url.port}" if url.port else "")
    return urlunsplit(url._replace(netloc=netloc))


def home(events: Sql) -> dict[str, Any] | None:
    """Where this store's keys were put ({store_id, location, moved_at}), if apart."""
    if not table_exists(events, "storylog_key_home"):
        return None
    rows = events.fetchall("SELECT store_id, location, moved_at FROM storylog_key_home "
                           "WHERE name = 'keys' AND moved_at IS NOT NULL")
    return dict(rows[0]) if rows else None


def open_key_database(location: str) -> Sql:
    """A datastore of its own for a key store apart from the events (SQLite or PostgreSQL),
    made with the same durable settings as the events' (WAL, synchronous=FULL,
    secure_delete on SQLite)."""
    from eventsourcing.persistence import InfrastructureFactory

    env = env_for(location)
    try:
        factory: Any = InfrastructureFactory.construct(env)
        return Sql(factory.datastore, postgres=is_postgres(location))
    except StoreUnavailable:
        raise
    except Exception as error:  # the drivers raise many kinds
        text = str(error).strip().splitlines()
        raise StoreUnavailable(f"cannot open the key store {shown(location)}: "
                               f"{text[0] if text else type(error).__name__}") from None


def open_keys(events: Sql, keys: str | None, *, fresh: bool) -> KeyStore:
    """The key store of a store whose events are in ``events``.

    ``keys`` is the --keys / STORYLOG_KEYS setting (None: keys inside the events
    database); ``fresh`` says the events database holds no event yet, so a key store
    apart may be paired with it now.
    """
    where = home(events)
    if keys is None:
        if where is not None:
            raise StoreUnavailable(
                f"the keys of this store live apart from its events (put in {where['location']} "
                f"on {where['moved_at'][:10]}); give --keys LOCATION or set STORYLOG_KEYS")
        return KeyStore(events)
    if where is None and not fresh and inside_keys(events):
        raise StoreUnavailable(
            f"this store keeps its keys inside its events database, not in {shown(keys)}; "
            f"drop --keys / STORYLOG_KEYS, or move them with `storylog keys move {keys}`")
    if where is not None and not is_postgres(keys) and not Path(keys).expanduser().is_file():
        raise StoreUnavailable(f"--keys {shown(keys)}: no key store there; this store's keys "
                               f"were put in {where['location']}")
    store = KeyStore(open_key_database(keys), location=shown(keys), url=keys)
    theirs = store.store_id()
    if where is not None:
        if theirs != where["store_id"]:
            store.close()
            what = "holds no keys" if theirs is None else "holds another store's keys"
            raise StoreUnavailable(
                f"--keys {shown(keys)} {what}; this store's keys were put in "
                f"{where['location']} (key store {where['store_id']})")
        return store
    if theirs is not None and store.count():
        store.close()
        raise StoreUnavailable(f"--keys {shown(keys)} holds another store's keys")
    pair(events, store)
    return store


def inside_keys(events: Sql) -> bool:
    """Whether the events database holds keys of its own (a store from before keys
    could live apart, or one never moved)."""
    return holds_rows(events, "storylog_keys")


def pair(events: Sql, store: KeyStore) -> str:
    """Record in both places that ``store`` holds the keys of these events."""
    store_id = store.store_id(create=True)
    assert store_id is not None and store.location is not None
    events.execute(HOME_TABLE)
    events.execute(
        "INSERT INTO storylog_key_home (name, store_id, location, moved_at) "
        "VALUES ('keys', ?, ?, ?) ON CONFLICT (name) DO UPDATE SET store_id = excluded.store_id, "
        "location = excluded.location, moved_at = excluded.moved_at",
        (store_id, store.location, now()))
    return store_id


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id() -> str:
    return uuid.uuid4().hex


# The key tables a store keeps inside its events database until its keys move out.
INSIDE_TABLES = ("storylog_keys", "storylog_key_backups", "storylog_key_meta")


def drop_inside(events: Sql) -> None:
    """Drop the key tables left inside an events database whose keys moved out."""
    for table in INSIDE_TABLES:
        if table_exists(events, table):
            events.execute(f"DROP TABLE {table}")


def move_home(events: Sql, target: KeyStore) -> int:
    """In one transaction of the events database (which holds the writers off): copy any
    key made since into ``target``, record that the keys now live there, delete them
    here; returns how many keys. Refused, with nothing changed here, if one did not copy."""
    events.execute(HOME_TABLE)
    present = [t for t in INSIDE_TABLES if table_exists(events, t)]
    with events.transaction() as c:
        if events.postgres:
            c.execute("LOCK TABLE storylog_keys IN EXCLUSIVE MODE")
        c.execute("INSERT INTO storylog_key_home (name, store_id, location, moved_at) "
                  "VALUES ('keys', ?, ?, NULL) ON CONFLICT (name) DO NOTHING",
                  (target.store_id(), target.location))
        c.execute("SELECT key_id, secret, erased_at FROM storylog_keys")
        rows = [(r["key_id"], bytes(r["secret"]) if r["secret"] is not None else None,
                 r["erased_at"]) for r in c.fetchall()]
        target.put_rows(rows)
        copied = {k: s for k, s, _ in target.rows()}
        lost = [k for k, s, _ in rows if copied.get(k, b"") != s]
        if lost:
            raise VerificationFailed(f"the key {lost[0]} was not copied; the keys were left "
                                     "where they were")
        c.execute("UPDATE storylog_key_home SET store_id = ?, location = ?, moved_at = ? "
                  "WHERE name = 'keys'", (target.store_id(), target.location, now()))
        for table in present:
            c.execute(f"DELETE FROM {table}")  # secure_delete overwrites the bytes
    return len(rows)
