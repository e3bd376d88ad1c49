"""The questions asked of the read models, each a named method.

The projections ask most of them; the write side asks three it cannot cheaply answer
from the events themselves (at the end): which positions a command id wrote into a story
(a command id the story has since forgotten must never be written twice), which updates
were taken down (and which of those erased), and a whole table, to compare with one
rebuilt elsewhere. Answers are rows (mappings by column name) in the order the question
names; what they mean, and the shape they are shown in, is the asker's business. This module loads
no eventsourcing, pydantic or cipher: a read whose models are current runs on a plain
``sqlite3`` connection (``current.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storylog.store.sql import Sql

Row = Any  # sqlite3.Row or psycopg's dict row: both are read by column name


class ReadStore:
    """Read-only questions on one database's ``rm_*`` tables."""

    def __init__(self, sql: Sql):
        self.sql = sql

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.sql.fetchall(statement, params)

    def _one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """The one value a statement selects ``AS v`` (None when there is no row)."""
        rows = self._rows(statement, params)
        return rows[0]["v"] if rows else None

    # -- stories ---------------------------------------------------------------------

    def published_in_append_order(self) -> list[Row]:
        """story_id, slug, version of every published version, in the store's append
        order (its ``VersionPublished``'s notification id, across every story)."""
        return self._rows(
            "SELECT v.story_id, s.slug, v.version FROM rm_versions v "
            "JOIN rm_events e ON e.story_id = v.story_id AND e.position = v.position "
            "JOIN rm_stories s ON s.story_id = v.story_id ORDER BY e.notification_id")

    def story(self, slug: str) -> Row | None:
        rows = self._rows("SELECT * FROM rm_stories WHERE slug = ?", (slug,))
        return rows[0] if rows else None

    def slugs(self) -> list[str]:
        """Every story's slug, in the order the stories were opened."""
        return [r["slug"] for r in self._rows(
            "SELECT s.slug FROM rm_stories s JOIN rm_events e ON e.story_id = s.story_id "
            "AND e.position = 1 ORDER BY e.notification_id")]

    def summaries(self) -> list[Row]:
        """Per story, in the order opened: slug, headline, story_id, updates, retracted,
        versions, position (the newest event's), last (its time)."""
        return self._rows(
            "SELECT s.slug, s.headline, s.story_id, "
            "(SELECT COUNT(*) FROM rm_revisions r WHERE r.story_id = s.story_id "
            " AND r.revision = 1) AS updates, "
            "(SELECT COUNT(*) FROM rm_revisions r WHERE r.story_id = s.story_id "
            " AND r.action = 'retracted') AS retracted, "
            "(SELECT COUNT(*) FROM rm_versions v WHERE v.story_id = s.story_id) AS versions, "
            "(SELECT MAX(position) FROM rm_events e WHERE e.story_id = s.story_id) AS position, "
            "(SELECT MAX(recorded_at) FROM rm_events e WHERE e.story_id = s.story_id) AS last, "
            "(SELECT MIN(notification_id) FROM rm_events e WHERE e.story_id = s.story_id) AS n "
            "FROM rm_stories s ORDER BY n")

    def head_position(self, story_id: str) -> int:
        """The position of the story's newest event (0: none)."""
        return int(self._one("SELECT MAX(position) AS v FROM rm_events WHERE story_id = ?",
                             (story_id,)) or 0)

    def last_position_by(self, story_id: str, moment: str) -> int | None:
        """The story's last position recorded at or before ``moment`` (UTC text)."""
        return self._one("SELECT MAX(position) AS v FROM rm_events WHERE story_id = ? "
                         "AND recorded_at <= ?", (story_id, moment))

    def details(self, story_id: str, upto: int) -> list[Row]:
        """Headline and standfirst changes up to a position, oldest first."""
        return self._rows(
            "SELECT headline, standfirst FROM rm_details WHERE story_id = ? AND position <= ? "
            "ORDER BY position", (story_id, upto))

    def detail_notes(self, story_id: str, after: int, upto: int) -> list[Row]:
        """Headline and standfirst changes with a note, between two positions."""
        return self._rows(
            "SELECT position, headline, standfirst, kind, note, recorded_at FROM rm_details "
            "WHERE story_id = ? AND position > ? AND position <= ? AND note IS NOT NULL "
            "ORDER BY position", (story_id, after, upto))

    # -- published versions ---------------------------------------------------------------

    def published_versions(self, story_id: str) -> list[Row]:
        return self._rows(
            "SELECT version, position, recorded_at, editor, note, head FROM rm_versions "
            "WHERE story_id = ? ORDER BY version", (story_id,))

    def published_count(self, story_id: str, upto: int) -> int:
        """How many versions were published up to a position."""
        return int(self._one("SELECT COUNT(*) AS v FROM rm_versions WHERE story_id = ? "
                             "AND position <= ?", (story_id, upto)))

    def last_version_by(self, story_id: str, moment: str) -> int | None:
        """The last version published at or before ``moment`` (UTC text)."""
        return self._one("SELECT MAX(version) AS v FROM rm_versions WHERE story_id = ? "
                         "AND recorded_at <= ?", (story_id, moment))

    def versions_from(self, story_id: str, position: int) -> list[int]:
        """The versions published at or after a position."""
        return [r["version"] for r in self._rows(
            "SELECT version FROM rm_versions WHERE story_id = ? AND position >= ? "
            "ORDER BY version", (story_id, position))]

    def next_version_after(self, story_id: str, position: int) -> Row | None:
        """The first version published after a position: version, recorded_at."""
        rows = self._rows("SELECT version, recorded_at FROM rm_versions WHERE story_id = ? "
                          "AND position > ? ORDER BY version LIMIT 1", (story_id, position))
        return rows[0] if rows else None

    def first_publication(self, story_id: str, update_id: str) -> Row | None:
        """The first version published after the update was added: version, position,
        recorded_at."""
        rows = self._rows(
            "SELECT v.version, v.position, v.recorded_at FROM rm_versions v WHERE v.story_id = ? "
            "AND v.position > (SELECT position FROM rm_revisions WHERE story_id = ? "
            "AND update_id = ? AND revision = 1) ORDER BY v.version LIMIT 1",
            (story_id, story_id, update_id))
        return rows[0] if rows else None

    # -- updates -------------------------------------------------------------------------

    def revisions(self, story_id: str, upto: int,
                  update_ids: Sequence[str] | None = None) -> list[Row]:
        """Revision rows (deltas) up to a position, of every update or the given ones,
        by update and revision."""
        query = "SELECT * FROM rm_revisions WHERE story_id = ? AND position <= ?"
        params: list[Any] = [story_id, upto]
        if update_ids is not None:
            query += f" AND update_id IN ({','.join('?' * len(update_ids))})"
            params += update_ids
        return self._rows(query + " ORDER BY update_id, revision", params)

    def revisions_of(self, story_id: str, update_id: str) -> list[Row]:
        """Every revision row of one update, oldest first."""
        return self._rows("SELECT * FROM rm_revisions WHERE story_id = ? AND update_id = ? "
                          "ORDER BY revision", (story_id, update_id))

    def revision_history(self, story_id: str, update_id: str) -> list[Row]:
        """revision, action, recorded_at, note of each of an update's revisions."""
        return self._rows("SELECT revision, action, recorded_at, note FROM rm_revisions "
                          "WHERE story_id = ? AND update_id = ? ORDER BY revision",
                          (story_id, update_id))

    def takedowns(self, story_id: str) -> list[Row]:
        """update_id, note (the grounds), recorded_at, erased, position of each takedown."""
        return self._rows("SELECT update_id, note, recorded_at, erased, position FROM "
                          "rm_revisions WHERE story_id = ? AND action = 'taken-down'",
                          (story_id,))

    def updates_touched(self, story_id: str, after: int, upto: int) -> list[str]:
        """The updates any event between two positions touched, by id."""
        return [r["update_id"] for r in self._rows(
            "SELECT DISTINCT update_id FROM rm_events WHERE story_id = ? AND position > ? "
            "AND position <= ? AND update_id IS NOT NULL ORDER BY update_id",
            (story_id, after, upto))]

    # -- the audit trail ----------------------------------------------------------------

    def events(self, story_id: str, update_id: str | None = None) -> list[Row]:
        """The story's event rows (or one update's), in order."""
        query = "SELECT * FROM rm_events WHERE story_id = ?"
        params: list[Any] = [story_id]
        if update_id is not None:
            query += " AND update_id = ?"
            params.append(update_id)
        return self._rows(query + " ORDER BY position", params)

    def changes(self, *, slug: str | None = None, since: str | None = None,
                until: str | None = None, editor: str | None = None,
                stealth: bool = False) -> list[Row]:
        """Edits, retractions and takedowns (event rows with the story's slug and tz), by
        time: of one story, within times (UTC text), by one editor, or flagged stealthy."""
        query = [
            "SELECT e.*, s.slug, s.tz FROM rm_events e JOIN rm_stories s "
            "ON s.story_id = e.story_id",
            "WHERE e.type IN ('UpdateEdited', 'UpdateRetracted', 'UpdateTakenDown')",
        ]
        params: list[Any] = []
        for value, condition in ((slug, "AND s.slug = ?"), (since, "AND e.recorded_at >= ?"),
                                 (until, "AND e.recorded_at <= ?"), (editor, "AND e.editor = ?")):
            if value:
                query.append(condition)
                params.append(value)
        if stealth:
            query.append("AND e.flags IS NOT NULL")
        return self._rows(" ".join(query) + " ORDER BY e.recorded_at, e.position", params)

    def review(self, story_id: str, update_id: str, revision: int) -> Row | None:
        """Who reviewed a revision, and when (editor, recorded_at)."""
        rows = self._rows("SELECT editor, recorded_at FROM rm_reviews WHERE story_id = ? AND "
                          "update_id = ? AND revision = ?", (story_id, update_id, revision))
        return rows[0] if rows else None

    def contributions(self, editor: str) -> list[Row]:
        """One editor's event rows with the story's slug, newest first."""
        return self._rows(
            "SELECT e.*, s.slug FROM rm_events e LEFT JOIN rm_stories s "
            "ON s.story_id = e.story_id "
            "WHERE e.editor = ? ORDER BY e.recorded_at DESC, e.position DESC", (editor,))

    # -- sources -----------------------------------------------------------------------

    def source(self, key: str) -> Row | None:
        """A source by its key: source_key, name, kind, merged_into."""
        rows = self._rows("SELECT * FROM rm_sources WHERE source_key = ?", (key,))
        return rows[0] if rows else None

    def sources(self) -> list[Row]:
        """Every source: source_key, name, kind, merged_into."""
        return self._rows("SELECT source_key, name, kind, merged_into FROM rm_sources")

    def secret_sources(self) -> list[str]:
        """The sources a merge recorded as confidential joined."""
        return [r["source_key"] for r in self._rows("SELECT source_key FROM rm_source_secrets")]

    def confidential_source_lists(self) -> list[str]:
        """The sources (JSON) of every revision that marks any source confidential."""
        return [r["sources"] for r in self._rows(
            "SELECT sources FROM rm_revisions WHERE sources LIKE ?", ('%"confidential":true%',))]

    def source_counts(self) -> list[Row]:
        """Sources not merged away: source_key, name, kind, and how many updates and
        stories cite them; most cited first."""
        return self._rows(
            "SELECT s.source_key, s.name, s.kind, "
            "COUNT(DISTINCT c.story_id || '/' || c.update_id) AS updates, "
            "COUNT(DISTINCT c.story_id) AS stories "
            "FROM rm_sources s LEFT JOIN rm_citations c ON c.source_key = s.source_key "
            "WHERE s.merged_into IS NULL OR s.merged_into = s.source_key "
            "GROUP BY s.source_key, s.name, s.kind ORDER BY updates DESC, s.name")

    def names_cited(self) -> list[Row]:
        """Each (source_key, as_cited) a direct citation used."""
        return self._rows(
            "SELECT DISTINCT source_key, as_cited FROM rm_citations WHERE role = 'direct'")

    def names_merged(self) -> list[Row]:
        """Each (name, merged_into) of a source merged into another."""
        return self._rows("SELECT name, merged_into FROM rm_sources WHERE merged_into IS NOT "
                          "NULL AND merged_into <> source_key")

    def citations_of(self, key: str, story_id: str | None = None) -> list[Row]:
        """A source's citations (story_id, update_id, role, as_cited, via, and the story's
        slug and tz), in the order they were made; direct ones first at a position."""
        query = ("SELECT c.story_id, c.update_id, c.role, c.as_cited, c.via, s.slug, s.tz "
                 "FROM rm_citations c JOIN rm_stories s ON s.story_id = c.story_id "
                 "WHERE c.source_key = ?")
        params: list[Any] = [key]
        if story_id:
            query += " AND c.story_id = ?"
            params.append(story_id)
        # role breaks a tie (one update citing the source directly and as another's channel):
        # without it the row order, and so the entry, differed between SQLite and PostgreSQL.
        return self._rows(query + " ORDER BY c.position, c.role", params)

    # -- what the write side asks ------------------------------------------------------

    def command_positions(self, story_id: str, command_id: str) -> tuple[int, int] | None:
        """The first and last position a command id wrote into a story, if it wrote any."""
        found = self._rows(
            "SELECT MIN(position) AS first, MAX(position) AS last FROM rm_events "
            "WHERE story_id = ? AND command_id = ?", (story_id, command_id))
        if not found or found[0]["first"] is None:
            return None
        return found[0]["first"], found[0]["last"]

    def takedowns_everywhere(self) -> list[tuple[str, str, bool]]:
        """Every update taken down, as (story id, update id, whether its content was
        erased)."""
        rows = self._rows("SELECT story_id, update_id, erased FROM rm_revisions "
                          "WHERE action = 'taken-down'")
        return [(r["story_id"], r["update_id"], bool(r["erased"])) for r in rows]

    def table(self, name: str) -> list[dict[str, Any]]:
        """Every row of one read-model table, as column -> value."""
        return [dict(r) for r in self._rows(f"SELECT * FROM {name}")]
