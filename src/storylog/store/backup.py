"""Backup files: the events without keys, and the keys apart, each a SQLite file.

An events backup holds only what cannot be derived: the stored events (in the order
they were recorded), the snapshots (which hold no update text) and the signed
checkpoints. It never holds a key, nor the read models (which hold opened text): a
source-safety erasure made after the backup is then complete as soon as the key
backups made before it are destroyed. It is read in one consistent transaction of the
live store (SQLite: one read transaction, whose snapshot WAL keeps still; PostgreSQL:
REPEATABLE READ), so writers carry on meanwhile. The copy is written row by row
rather than with SQLite's backup API or VACUUM INTO: those copy every page, keys and
read models included, onto the disk where the backup is made.

A key backup holds the keys (and erasures' tombstones) of one key store. Each is
recorded in the key store (``storylog_key_backups``): where, when, which keys (the
list, compressed, and its SHA-256), and until when it may be kept.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storylog.errors import RefusedInput
from storylog.store import checkpoint_records, public_log
from storylog.store.backends import is_postgres
from storylog.store.eventlog import LogTables
from storylog.store.keystore import open_key_database
from storylog.store.sql import Sql, holds_rows, table_exists

FORMAT = 1
BATCH = 2000
BACKUPS_TABLE = (
    "CREATE TABLE IF NOT EXISTS storylog_key_backups (backup_id TEXT PRIMARY KEY, "
    "dest TEXT NOT NULL, made_at TEXT NOT NULL, expires_at TEXT NOT NULL, "
    "key_count INTEGER NOT NULL, ids_digest TEXT NOT NULL, ids {blob} NOT NULL)")
EVENTS_SCHEMA = (
    "CREATE TABLE backup_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE events (nid INTEGER PRIMARY KEY, story TEXT NOT NULL, "
    "position INTEGER NOT NULL, topic TEXT NOT NULL, state BLOB NOT NULL)",
    "CREATE TABLE snapshots (story TEXT NOT NULL, position INTEGER NOT NULL, "
    "topic TEXT NOT NULL, state BLOB NOT NULL, PRIMARY KEY (story, position))",
    "CREATE TABLE checkpoints (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, line TEXT NOT NULL)",
    # the public log (store.public_log): not derived, so kept (backups before it lack these)
    "CREATE TABLE public_log (seq INTEGER PRIMARY KEY, story TEXT NOT NULL, "
    "version INTEGER NOT NULL, leaf TEXT NOT NULL, record TEXT NOT NULL)",
    "CREATE TABLE tree_heads (size INTEGER PRIMARY KEY, root TEXT NOT NULL, note TEXT NOT NULL)",
    "CREATE TABLE head_cosignatures (size INTEGER NOT NULL, n INTEGER NOT NULL, "
    "line TEXT NOT NULL, PRIMARY KEY (size, n))",
)
PUBLIC_LOG_COPIES = {public_log.RECORDS: "public_log", public_log.HEADS: "tree_heads",
                     public_log.COSIGNATURES: "head_cosignatures"}
KEYS_SCHEMA = (
    "CREATE TABLE backup_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE keys (key_id TEXT PRIMARY KEY, secret BLOB, erased_at TEXT)",
)
# A backup file, open (SQLite, whatever the live store's backend).
BackupFile = sqlite3.Connection


@contextmanager
def new_file(dest: Path, schema: tuple[str, ...]) -> Iterator[sqlite3.Connection]:
    """A new backup file, readable by its owner only, in place only once complete."""
    if dest.exists():
        raise RefusedInput(f"{dest} already exists; give a new file name (a backup never "
                           "overwrites another)")
    if not dest.parent.is_dir():
        raise RefusedInput(f"{dest}: folder {dest.parent} does not exist")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    out = sqlite3.connect(partial, isolation_level=None)
    try:
        out.execute("PRAGMA journal_mode=MEMORY")  # nothing beside the file on disk
        out.execute("BEGIN")
        for statement in schema:
            out.execute(statement)
        yield out
        out.execute("COMMIT")
        out.close()
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        if dest.exists():
            raise RefusedInput(f"{dest} appeared while the backup was written; kept it")
        partial.rename(dest)
    finally:
        out.close()
        partial.unlink(missing_ok=True)


def copy_events(db: str, out: sqlite3.Connection, *, checkpoints: bool,
                public_tables: tuple[str, ...] = ()) -> int:
    """Copy the live store's events, snapshots, (if it keeps any) checkpoints and the
    public log's tables it has (``public_tables``), all read inside one consistent read
    transaction; returns how many events."""
    tables = LogTables.of(is_postgres(db))
    with _read_transaction(db) as (cursor, mark):
        count = 0
        last = -1
        while True:
            cursor.execute(
                f"SELECT {tables.nid} AS nid, originator_id, originator_version, topic, state "
                f"FROM {tables.events} WHERE {tables.nid} > {mark} ORDER BY {tables.nid} "
                f"LIMIT {BATCH}", (last,))
            rows = cursor.fetchall()
            out.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                            [(r[0], _uuid_text(r[1]), r[2], r[3], bytes(r[4])) for r in rows])
            count += len(rows)
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
        cursor.execute(f"SELECT originator_id, originator_version, topic, state FROM "
                       f"{tables.snapshots}")
        out.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?)",
                        [(_uuid_text(r[0]), r[1], r[2], bytes(r[3])) for r in cursor.fetchall()])
        if checkpoints:
            cursor.execute(f"SELECT seq, hash, line FROM {checkpoint_records.TABLE}")
            out.executemany("INSERT INTO checkpoints VALUES (?, ?, ?)", cursor.fetchall())
        for table in public_tables:
            cursor.execute(public_log.backup_select(table))
            rows = [tuple(r) for r in cursor.fetchall()]
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                out.executemany(f"INSERT INTO {PUBLIC_LOG_COPIES[table]} VALUES ({marks})", rows)
    return count


@contextmanager
def _read_transaction(db: str) -> Iterator[tuple[Any, str]]:
    """A cursor inside one read-only transaction that sees one moment of the store, and
    its driver's placeholder."""
    if is_postgres(db):
        import psycopg

        with psycopg.connect(db) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction(), conn.cursor() as cursor:
                yield cursor, "%s"
        return
    lite = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True,
                           isolation_level=None, timeout=30)
    try:
        lite.execute("BEGIN")
        yield lite.cursor(), "?"
        lite.execute("COMMIT")
    finally:
        lite.close()


def write_keys(out: sqlite3.Connection, rows: list[tuple[str, bytes | None, str | None]]) -> None:
    """A key backup's keys: (key id, secret or None once erased, when it was erased)."""
    out.executemany("INSERT INTO keys VALUES (?, ?, ?)", rows)


def write_meta(out: sqlite3.Connection, meta: dict[str, str]) -> None:
    out.executemany("INSERT INTO backup_meta VALUES (?, ?)",
                    [(k, str(v)) for k, v in meta.items()] + [("format", str(FORMAT))])


def open_backup(path: Path, kind: str) -> sqlite3.Connection:
    """A backup file of this kind ('events' or 'keys'), opened read-only."""
    if not path.is_file():
        raise RefusedInput(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        found = meta(conn).get("kind")
    except sqlite3.DatabaseError:
        found = None
    if found != kind:
        other = "events backup (storylog backup)" if kind == "events" else \
            "key backup (storylog backup-keys)"
        raise RefusedInput(f"{path} is not a storylog {other}")
    return conn


def meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT name, value FROM backup_meta").fetchall())


def backed_up_events(conn: sqlite3.Connection) -> Iterator[list[tuple[str, int, str, bytes]]]:
    """The events of a backup, in batches, in the order they were recorded."""
    last = -1
    while True:
        rows = conn.execute("SELECT nid, story, position, topic, state FROM events "
                            "WHERE nid > ? ORDER BY nid LIMIT ?", (last, BATCH)).fetchall()
        if rows:
            yield [(r[1], r[2], r[3], r[4]) for r in rows]
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def backed_up_keys(conn: sqlite3.Connection) -> list[tuple[str, bytes | None, str | None]]:
    """A key backup's keys, as ``write_keys`` wrote them."""
    return conn.execute("SELECT key_id, secret, erased_at FROM keys").fetchall()


def backed_up_key_ids(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT key_id FROM keys")}


def backed_up_snapshots(conn: sqlite3.Connection) -> list[tuple[str, int, str, bytes]]:
    """An events backup's snapshots (story id, position, topic, state)."""
    return conn.execute("SELECT story, position, topic, state FROM snapshots").fetchall()


def backed_up_checkpoints(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """An events backup's checkpoint records (seq, hash, signed line)."""
    return conn.execute("SELECT seq, hash, line FROM checkpoints").fetchall()


def backed_up_public_log(conn: sqlite3.Connection
                         ) -> tuple[list[public_log.RecordRow], list[public_log.HeadRow]]:
    """An events backup's public log: its records, and its signed tree heads with their
    cosignatures after each note (none in a backup made before the public log)."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "public_log" not in present:
        return [], []
    records = [(int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in conn.execute(
        "SELECT seq, story, version, leaf, record FROM public_log ORDER BY seq")]
    extra: dict[int, str] = {}
    for size, line in conn.execute("SELECT size, line FROM head_cosignatures ORDER BY size, n"):
        extra[int(size)] = extra.get(int(size), "") + str(line)
    heads = [(int(size), str(root), str(note) + extra.get(int(size), ""))
             for size, root, note in conn.execute(
                 "SELECT size, root, note FROM tree_heads ORDER BY size")]
    return records, heads


def holds_a_store(location: str) -> bool:
    """Whether a PostgreSQL database already holds a store's events or keys (a SQLite
    store is a file: its existence says it)."""
    sql = open_key_database(location)
    try:
        return any(holds_rows(sql, table)
                   for table in (LogTables.of(postgres=True).events, "storylog_keys"))
    finally:
        sql.datastore.close()


def ids_blob(ids: list[str]) -> tuple[bytes, str]:
    """A key backup's id list as stored in its record: compressed, and its digest."""
    text = "\n".join(sorted(ids)).encode()
    return zlib.compress(text, 9), hashlib.sha256(text).hexdigest()


def ids_of(blob: bytes) -> set[str]:
    text = zlib.decompress(bytes(blob)).decode()
    return set(text.split("\n")) if text else set()


def record_key_backup(keys_sql: Sql, record: dict[str, Any], ids: list[str]) -> None:
    blob, digest = ids_blob(ids)
    keys_sql.execute(BACKUPS_TABLE.format(blob=keys_sql.blob_type()))
    keys_sql.execute(
        "INSERT INTO storylog_key_backups (backup_id, dest, made_at, expires_at, key_count, "
        "ids_digest, ids) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (record["backup_id"], record["dest"], record["made_at"], record["expires_at"],
         len(ids), digest, blob))
    record.update(keys=len(ids), ids_digest=digest)


def key_backups(keys_sql: Sql) -> list[dict[str, Any]]:
    """Every key backup recorded, oldest first, with the ids of the keys it holds."""
    keys_sql.execute(BACKUPS_TABLE.format(blob=keys_sql.blob_type()))
    rows = keys_sql.fetchall("SELECT backup_id, dest, made_at, expires_at, key_count, "
                             "ids_digest, ids FROM storylog_key_backups ORDER BY made_at")
    return [dict(r) | {"ids": ids_of(r["ids"])} for r in rows]


def _uuid_text(value: Any) -> str:
    text = str(value).replace("-", "")
    if len(text) != 32:
        return str(value)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def copy_key_backup_records(source: Sql, target: Sql) -> None:
    """Copy the key-backup records of one key store into another (when keys move out)."""
    if not table_exists(source, "storylog_key_backups"):
        return
    known = {r["backup_id"] for r in key_backups(target)}
    for record in key_backups(source):
        if record["backup_id"] not in known:
            record_key_backup(target, dict(record), sorted(record["ids"]))
