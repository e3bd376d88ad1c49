"""The event log's tables, where plain SQL serves better than the library's recorder.

eventsourcing's recorder writes and reads events by story; storylog also reads them in
the order they were recorded (to catch the read models up, to export a whole store),
lists every chain, and reads a damaged chain whose story id is no longer a UUID (which
the library fails to convert, while verification must name it). Those reads live here,
with the tables' names, and so does the one failure of a write the application acts on:
another writer stored the same story position first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from storylog.errors import Conflict
from storylog.store.sql import Sql, holds_rows


class WrittenMeanwhile(Conflict):
    """Another writer stored an event at the same story position first: the log's unique
    (story, position) key refused ours, and nothing of this save was written."""


@contextmanager
def refused_as_race() -> Iterator[None]:
    """The driver's unique-key refusal, as the error the application retries on."""
    try:
        yield
    except IntegrityError as error:
        raise WrittenMeanwhile("another writer saved at the same position first") from error


@dataclass(frozen=True)
class LogTables:
    """The event log's tables (their names differ by backend) and its order column."""

    events: str
    nid: str
    snapshots: str

    @staticmethod
    def of(postgres: bool) -> LogTables:
        if postgres:
            return LogTables("storylog_events", "notification_id", "storylog_snapshots")
        return LogTables("stored_events", "rowid", "stored_snapshots")


class RawRow(NamedTuple):
    """A stored event read with plain SQL: cheaper than the library's Notification."""

    id: int
    story_id: str
    position: int
    topic: str
    state: bytes


class EventLog:
    """One store's event log, read with plain SQL and written through its recorder."""

    def __init__(self, sql: Sql, recorder: Any):
        self.sql = sql
        self.recorder = recorder
        self.tables = LogTables.of(sql.postgres)

    def raw_rows(self, start: int, limit: int) -> list[RawRow]:
        """Up to ``limit`` events from notification id ``start`` on, in recorded order."""
        table, nid = self.tables.events, self.tables.nid
        rows = self.sql.fetchall(
            f"SELECT {nid} AS nid, originator_id, originator_version, topic, state "
            f"FROM {table} WHERE {nid} >= ? ORDER BY {nid} LIMIT ?",
            (start, limit))
        return [RawRow(r["nid"], uuid_text(r["originator_id"]), r["originator_version"],
                       r["topic"], bytes(r["state"])) for r in rows]

    def chain_ids(self) -> list[UUID | str]:
        """Every chain's id; one that is not a UUID (a damaged row) is kept as its text,
        so that verification names its chain instead of failing on it."""
        rows = self.sql.fetchall(f"SELECT DISTINCT originator_id FROM {self.tables.events}")
        return sorted((uuid_or_text(r["originator_id"]) for r in rows), key=str)

    def chain_rows(self, chain_id: UUID | str) -> list[StoredEvent]:
        """One chain's rows in position order. On SQLite they are read with plain SQL: a
        damaged id (in the row, or one found only in the index) that is not a UUID makes
        the library fail converting it; here it is kept as text, so the chain check
        names the damage instead (PostgreSQL's uuid column cannot hold one)."""
        if self.sql.postgres and isinstance(chain_id, UUID):
            return list(self.recorder.select_events(chain_id))
        found = self.sql.fetchall(
            f"SELECT originator_id, originator_version, topic, state FROM {self.tables.events} "
            "WHERE originator_id = ? ORDER BY originator_version",
            (chain_id.hex if isinstance(chain_id, UUID) else chain_id,))
        return [StoredEvent(originator_id=uuid_or_text(r["originator_id"]),
                            originator_version=r["originator_version"],
                            topic=r["topic"], state=bytes(r["state"])) for r in found]

    def insert(self, rows: Sequence[StoredEvent]) -> None:
        """Insert rows made elsewhere (a load, a restore) in one transaction."""
        with refused_as_race():
            self.recorder.insert_events(list(rows))


def holds_events(sql: Sql) -> bool:
    """Whether any event is stored (asked before the recorder exists, so the events table
    may not either)."""
    return holds_rows(sql, LogTables.of(sql.postgres).events)


def remove_if_empty(path: Path) -> None:
    """Delete a SQLite store that holds no event, with its WAL and shared-memory files.
    The check and the unlink happen under an exclusive lock, so a writer that got in
    meanwhile keeps its store."""
    import sqlite3

    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=5)
    except sqlite3.Error:
        return
    try:
        conn.execute("BEGIN EXCLUSIVE")
        table = LogTables.of(postgres=False).events
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if table in tables and conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    except sqlite3.Error:
        return
    finally:
        conn.close()


def uuid_or_text(value: Any) -> UUID | str:
    try:
        return UUID(str(value))
    except ValueError:
        return str(value)


def uuid_text(value: Any) -> str:
    """The canonical hyphenated form (SQLite stores 32 hex digits, PostgreSQL a uuid)."""
    text = str(value)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text
