"""What the write side looks up in the read models' tables (``rm_*``).

The read models are folded from the events by ``projections``; the application asks
them three things it cannot cheaply get from the events themselves: which positions
a command id wrote into a story (a command id the story has since forgotten must never
be written twice), which updates were taken down (and which of those erased), and a
whole table, to compare with one rebuilt elsewhere.
"""

from __future__ import annotations

from typing import Any

from storylog.store.sql import Sql


def command_positions(sql: Sql, story_id: str, command_id: str) -> tuple[int, int] | None:
    """The first and last position a command id wrote into a story, if it wrote any."""
    found = sql.fetchall(
        "SELECT MIN(position) AS first, MAX(position) AS last FROM rm_events "
        "WHERE story_id = ? AND command_id = ?", (story_id, command_id))
    if not found or found[0]["first"] is None:
        return None
    return found[0]["first"], found[0]["last"]


def takedowns(sql: Sql) -> list[tuple[str, str, bool]]:
    """Every update taken down, as (story id, update id, whether its content was erased)."""
    rows = sql.fetchall("SELECT story_id, update_id, erased FROM rm_revisions "
                        "WHERE action = 'taken-down'")
    return [(r["story_id"], r["update_id"], bool(r["erased"])) for r in rows]


def table_rows(sql: Sql, table: str) -> list[dict[str, Any]]:
    """Every row of one read-model table, as column -> value."""
    return [dict(r) for r in sql.fetchall(f"SELECT * FROM {table}")]
