"""The public log's tables (issue 15): its records, its signed tree heads, and the
witnesses' cosignatures of them.

``storylog_public_log``: one row per published version, in the store's append order
(``seq`` 1, 2, 3...), the public record and its leaf hash; rows never change.
``storylog_tree_heads``: every tree head the store signed (size, root, the signed note).
``storylog_head_cosignatures``: the witnesses' signature lines added to a head later,
appended in order (a head's row is never rewritten): a head's note as published is its
signed note followed by these lines.

None of this is derived: a record commits salts that cannot be made again once an
update's key is erased, and a head is signed history readers hold the site to. So
backups (``store.backup``) and exact exports (``store.transfer``) carry all three.
The tables are made with the first export that signs (``ensure``); a read never makes
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storylog.store.keystore import table_exists
from storylog.store.sql import Sql

RECORDS = "storylog_public_log"
HEADS = "storylog_tree_heads"
COSIGNATURES = "storylog_head_cosignatures"
TABLES = (RECORDS, HEADS, COSIGNATURES)
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {RECORDS} (seq INTEGER PRIMARY KEY, "
    "story TEXT NOT NULL, version INTEGER NOT NULL, leaf TEXT NOT NULL, "
    "record TEXT NOT NULL, UNIQUE (story, version))",
    f"CREATE TABLE IF NOT EXISTS {HEADS} (size INTEGER PRIMARY KEY, "
    "root TEXT NOT NULL, note TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {COSIGNATURES} (size INTEGER NOT NULL, n INTEGER NOT NULL, "
    "line TEXT NOT NULL, PRIMARY KEY (size, n))",
)
# (seq, story, version, leaf hex, record JSON text)
RecordRow = tuple[int, str, int, str, str]
# (size, root hex, note as published: the signed note and its cosignatures)
HeadRow = tuple[int, str, str]


def ensure(sql: Sql) -> None:
    """Make the tables (the first export that signs a tree head)."""
    for statement in CREATE:
        sql.execute(statement)


def any_kept(sql: Sql) -> bool:
    """Whether this store ever kept a public log (it has the records' table)."""
    return table_exists(sql, RECORDS)


def kept_tables(sql: Sql) -> tuple[str, ...]:
    """The public log's tables this store has (a backup copies them)."""
    return tuple(t for t in TABLES if table_exists(sql, t))


def records(sql: Sql) -> list[RecordRow]:
    """Every record, in log order."""
    if not any_kept(sql):
        return []
    return [(int(r["seq"]), str(r["story"]), int(r["version"]), str(r["leaf"]), str(r["record"]))
            for r in sql.fetchall(f"SELECT seq, story, version, leaf, record FROM {RECORDS} "
                                  "ORDER BY seq")]


def append(sql: Sql, rows: Sequence[RecordRow]) -> None:
    """Append records (all or none)."""
    with sql.transaction() as c:
        c.executemany(f"INSERT INTO {RECORDS} (seq, story, version, leaf, record) "
                      "VALUES (?, ?, ?, ?, ?)", list(rows))


def heads(sql: Sql) -> list[HeadRow]:
    """Every signed tree head, smallest first, each note with its cosignatures after it."""
    if not table_exists(sql, HEADS):
        return []
    extra: dict[int, list[str]] = {}
    if table_exists(sql, COSIGNATURES):
        for r in sql.fetchall(f"SELECT size, line FROM {COSIGNATURES} ORDER BY size, n"):
            extra.setdefault(int(r["size"]), []).append(str(r["line"]))
    return [(int(r["size"]), str(r["root"]), str(r["note"]) + "".join(extra.get(int(r["size"]),
                                                                               [])))
            for r in sql.fetchall(f"SELECT size, root, note FROM {HEADS} ORDER BY size")]


def add_head(sql: Sql, size: int, root: str, note: str) -> None:
    sql.execute(f"INSERT INTO {HEADS} (size, root, note) VALUES (?, ?, ?)", (size, root, note))


def add_cosignatures(sql: Sql, size: int, lines: Sequence[str]) -> None:
    """Append witnesses' signature lines to the head of this size (never rewriting it)."""
    if not lines:
        return
    sql.execute(CREATE[2])
    with sql.transaction() as c:
        c.execute(f"SELECT COUNT(*) AS n FROM {COSIGNATURES} WHERE size = ?", (size,))
        have = c.fetchone()["n"]
        c.executemany(f"INSERT INTO {COSIGNATURES} (size, n, line) VALUES (?, ?, ?)",
                      [(size, int(have) + i + 1, line) for i, line in enumerate(lines)])


def put(sql: Sql, record_rows: Sequence[RecordRow], head_rows: Sequence[HeadRow]) -> None:
    """Keep the public log of the store a backup or an export came from, all in one go
    (heads' notes as published, cosignatures included)."""
    ensure(sql)
    with sql.transaction() as c:
        c.executemany(f"INSERT INTO {RECORDS} (seq, story, version, leaf, record) "
                      "VALUES (?, ?, ?, ?, ?)", list(record_rows))
        c.executemany(f"INSERT INTO {HEADS} (size, root, note) VALUES (?, ?, ?)",
                      list(head_rows))


def take_back(sql: Sql, seqs: Sequence[int], sizes: Sequence[int]) -> None:
    """Forget what a load that failed put."""
    if not any_kept(sql) or not (seqs or sizes):
        return
    with sql.transaction() as c:
        c.executemany(f"DELETE FROM {RECORDS} WHERE seq = ?", [(s,) for s in seqs])
        c.executemany(f"DELETE FROM {HEADS} WHERE size = ?", [(s,) for s in sizes])


def backup_select(table: str) -> str:
    """The query a backup copies a public log table with (store.backup)."""
    columns: dict[str, Any] = {RECORDS: "seq, story, version, leaf, record",
                               HEADS: "size, root, note", COSIGNATURES: "size, n, line"}
    return f"SELECT {columns[table]} FROM {table}"
