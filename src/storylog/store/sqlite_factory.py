"""eventsourcing's SQLite factory, made durable: WAL with synchronous=FULL.

The library turns WAL on but leaves ``synchronous`` at NORMAL, which can lose
the last commits on power loss. ``secure_delete`` makes SQLite overwrite the
bytes of deleted rows, which erasure relies on.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory


class DurableConnectionPool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        raw: sqlite3.Connection = connection._sqlite_conn
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA secure_delete=ON")
        return connection


class DurableSQLiteFactory(SQLiteFactory):
    def __init__(self, env: Any):
        super().__init__(env)
        old = self.datastore.pool
        self.datastore.pool = DurableConnectionPool(
            db_name=old.db_name, lock_timeout=old.lock_timeout
        )
        old.close()
