"""The store's record of the checkpoints it signed (table ``storylog_checkpoints``).

Each row is one signed checkpoint: its sequence number, its hash (what publications
pin) and the signed line itself, so an export can carry them and a log that lost one is
caught. The table is made with the first checkpoint signed or loaded; a read never
makes it. This module loads no cipher or library: the fast read path asks it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storylog.store.sql import Sql, table_exists

TABLE = "storylog_checkpoints"
CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (seq INTEGER PRIMARY KEY, "
          "hash TEXT NOT NULL, line TEXT NOT NULL)")


def any_kept(sql: Sql) -> bool:
    """Whether this store ever signed or loaded a checkpoint (it has the table)."""
    return table_exists(sql, TABLE)


def latest(sql: Sql) -> dict[str, Any] | None:
    """The newest checkpoint signed, as {seq, hash}, for publications to pin."""
    if not any_kept(sql):
        return None
    rows = sql.fetchall(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1")
    return {"seq": rows[0]["seq"], "hash": rows[0]["hash"]} if rows else None


def hashes(sql: Sql) -> dict[int, str]:
    """seq -> hash of every checkpoint kept."""
    if not any_kept(sql):
        return {}
    return {r["seq"]: r["hash"] for r in sql.fetchall(f"SELECT seq, hash FROM {TABLE}")}


def lines(sql: Sql) -> list[Any]:
    """Every checkpoint kept (seq, hash, line), in order."""
    if not any_kept(sql):
        return []
    return sql.fetchall(f"SELECT seq, hash, line FROM {TABLE} ORDER BY seq")


def record(sql: Sql, seq: int, checkpoint_hash: str, line: str) -> None:
    """Keep a checkpoint just signed (signing seq again replaces it)."""
    sql.execute(CREATE)
    sql.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?) ON CONFLICT (seq) DO UPDATE "
                "SET hash = excluded.hash, line = excluded.line",
                (seq, checkpoint_hash, line))


def put(sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
    """Keep checkpoints signed elsewhere ((seq, hash, line) each), all in one go: those of
    the store a file or a backup came from."""
    sql.execute(CREATE)
    with sql.transaction() as c:
        c.executemany(f"INSERT INTO {TABLE} (seq, hash, line) VALUES (?, ?, ?)", rows)


def take_back(sql: Sql, seqs: Sequence[int]) -> None:
    """Forget checkpoints put by a load that failed."""
    if not seqs or not any_kept(sql):
        return
    with sql.transaction() as c:
        c.executemany(f"DELETE FROM {TABLE} WHERE seq = ?", [(seq,) for seq in seqs])
