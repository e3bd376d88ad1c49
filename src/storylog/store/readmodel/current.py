"""Read models that are already current, opened without the write side.

A read command (``show``, ``log``, ``diff``, ...) must first bring the read models up to
the newest event. When they already are, which is the usual case because every write
command catches them up after saving, nothing needs eventsourcing, pydantic or the
cipher: a plain ``sqlite3`` connection answers. Opening those libraries is most of a
short command's time, so this check, done with plain SQL, lets a read start as fast
as Python allows. When the models are behind, of an older shape, or an erasure is
unfinished, the caller opens the application instead, which catches up first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storylog.store.readmodel.questions import ReadStore
from storylog.store.readmodel.schema import READMODEL_VERSION, TRACKING_NAME
from storylog.store.sql import Sql


class _ReadOnlyStore:
    """Just enough of a datastore for ``Sql``: transactions on one connection."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    @contextmanager
    def transaction(self, commit: bool = False) -> Iterator[sqlite3.Cursor]:
        if commit:
            raise RuntimeError("the current read models are opened for reading only")
        cursor = self.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()


def current_sqlite(path: str, keys: str | None = None) -> ReadStore | None:
    """The questions on a SQLite store's read models, read only, if they are current.
    ``keys``: the key store apart from the events, if any (--keys)."""
    file = Path(path).expanduser()
    if not file.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True,
                                     timeout=30)
    except sqlite3.Error:
        return None
    connection.row_factory = sqlite3.Row
    try:
        if _attach_keys(connection, keys) and _is_current(connection):
            return ReadStore(Sql(_ReadOnlyStore(connection), postgres=False))
    except sqlite3.Error:
        pass  # no read models yet, or an older layout: the application knows what to do
    connection.close()
    return None


def _attach_keys(connection: sqlite3.Connection, keys: str | None) -> bool:
    """Make ``keys.storylog_keys`` the table of this store's keys, wherever they live;
    False when only the application can tell (a key store on PostgreSQL, a missing or
    foreign one: it then says what is wrong)."""
    apart = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                               "name = 'storylog_key_home'").fetchone()
    if apart is None or connection.execute(
            "SELECT 1 FROM storylog_key_home WHERE moved_at IS NOT NULL").fetchone() is None:
        if keys is not None:
            return False  # the application refuses --keys for keys kept inside
        connection.execute("CREATE TEMP VIEW keys_of_store AS SELECT * FROM main.storylog_keys")
        return True
    if keys is None or keys.startswith(("postgresql://", "postgres://")):
        return False
    file = Path(keys).expanduser()
    if not file.is_file():
        return False
    connection.execute("ATTACH DATABASE ? AS keys", (f"{file.resolve().as_uri()}?mode=ro",))
    ours = connection.execute("SELECT store_id FROM storylog_key_home").fetchone()[0]
    theirs = connection.execute(
        "SELECT value FROM keys.storylog_key_meta WHERE name = 'store_id'").fetchone()
    if theirs is None or theirs[0] != ours:
        return False
    connection.execute("CREATE TEMP VIEW keys_of_store AS SELECT * FROM keys.storylog_keys")
    return True


def _is_current(connection: sqlite3.Connection) -> bool:
    def one(statement: str, params: tuple[Any, ...] = ()) -> Any:
        row = connection.execute(statement, params).fetchone()
        return None if row is None else row[0]

    # One read transaction, so the three answers agree with each other.
    connection.execute("BEGIN")
    try:
        if one("SELECT value FROM rm_meta WHERE name = 'version'") != READMODEL_VERSION:
            return False
        newest = one("SELECT MAX(rowid) FROM stored_events") or 0
        folded = one("SELECT MAX(notification_id) FROM tracking WHERE application_name = ?",
                     (TRACKING_NAME,)) or 0
        if newest != folded:
            return False
        # An erasure whose key is still there (a crash before it was destroyed) is
        # finished by the application's catch-up.
        unfinished = one(
            "SELECT 1 FROM rm_revisions r JOIN keys_of_store k "
            "ON k.key_id = r.story_id || '/' || r.update_id "
            "WHERE r.action = 'taken-down' AND r.erased = 1 AND k.secret IS NOT NULL LIMIT 1")
        if unfinished is not None:
            return False
        # An erasure whose sources are still to be re-derived
        # (projections.readmodel: ReadModel.rederive_sources).
        return one("SELECT 1 FROM rm_meta WHERE name = 'rederive'") is None
    finally:
        connection.execute("COMMIT")
