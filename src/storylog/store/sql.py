"""Tiny helpers to run storylog's own SQL on either backend's datastore."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


class Sql:
    """Runs statements written with ``?`` placeholders on SQLite or PostgreSQL."""

    def __init__(self, datastore: Any, *, postgres: bool):
        self.datastore = datastore
        self.postgres = postgres

    def _q(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield _Cursor(cursor, self)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        with self.transaction() as c:
            c.execute(statement, params)

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.transaction(commit=False) as c:
            c.execute(statement, params)
            return list(c.fetchall())

    def blob_type(self) -> str:
        return "BYTEA" if self.postgres else "BLOB"


class _Cursor:
    def __init__(self, cursor: Any, sql: Sql):
        self.cursor = cursor
        self.sql = sql

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self.sql._q(statement), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self.sql._q(statement), rows)

    def fetchall(self) -> list[Any]:
        return list(self.cursor.fetchall())

    def fetchone(self) -> Any:
        return self.cursor.fetchone()


def table_exists(sql: Sql, name: str) -> bool:
    if sql.postgres:
        rows = sql.fetchall("SELECT to_regclass(?) AS t", (name,))
        return bool(rows and rows[0]["t"])
    return bool(sql.fetchall("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                             (name,)))


def holds_rows(sql: Sql, table: str) -> bool:
    """Whether a table exists and holds a row (asked before the table may be made)."""
    return table_exists(sql, table) and bool(sql.fetchall(f"SELECT 1 FROM {table} LIMIT 1"))


def scrub_sqlite_file(path: str) -> None:
    """Make deleted rows' bytes unrecoverable from a SQLite file and its WAL: with
    secure_delete on, fold the WAL in, rewrite the file (VACUUM), and fold again."""
    import sqlite3
    from pathlib import Path

    lite = sqlite3.connect(Path(path).expanduser(), isolation_level=None, timeout=30)
    try:
        lite.execute("PRAGMA secure_delete=ON")
        lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        lite.execute("VACUUM")
        lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        lite.close()


def scrub_postgres(url: str, tables: Sequence[str]) -> None:
    """Make deleted rows' bytes unrecoverable from PostgreSQL tables: VACUUM FULL
    rewrites each table into new files and gives the old ones back."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM FULL {table}")


# The events database's tables from which an erasure deletes an update's key or its
# opened copies (the rest hold sealed bytes, which the key's loss makes unreadable).
ERASURE_TABLES = ("rm_revisions", "rm_citations", "rm_sources")
KEYS_TABLE = "storylog_keys"


def scrub_events_database(db: str, *, keys_inside: bool) -> None:
    """Make deleted bytes unrecoverable from the events database: its WAL and free pages
    on SQLite, the tables an erasure deletes from on PostgreSQL."""
    from storylog.store.backends import is_postgres

    if is_postgres(db):
        scrub_postgres(db, ((KEYS_TABLE,) if keys_inside else ()) + ERASURE_TABLES)
    else:
        scrub_sqlite_file(db)
