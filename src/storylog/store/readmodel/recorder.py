"""The read models' recorder: eventsourcing's tracking recorder with the ``rm_*`` tables.

As in the library's own read-model examples, the view is a tracking recorder: it keeps
its SQL in named methods, and it records the tracking row (the last notification id
folded) with its own ``_insert_tracking``, in the same transaction as the rows of the
batch, so that a crash or a second process can never apply an event twice. The backends
differ only in the tracking table's name and the placeholders (``sqlite.py``,
``postgres.py``); the statements are written once, with ``?``.
"""

from __future__ import annotations

import random
import time
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder

from storylog.store.readmodel.schema import (
    INDEXES,
    META,
    READMODEL_VERSION,
    SCHEMA,
    TABLES,
    TRACKING_NAME,
)
from storylog.store.sql import Sql

Row = tuple[Any, ...]


class ReadModelRecorder(TrackingRecorder):
    """The read-model tables of one database, and the tracking row that says how far
    they are folded. Each backend's class puts its own tracking recorder first."""

    postgres: bool
    tracking_table_name: str
    datastore: Any

    @abstractmethod
    def _insert_tracking(self, c: Any, tracking: Tracking) -> None:
        """The library's tracking insert, on a cursor of our own transaction."""

    @cached_property
    def sql(self) -> Sql:
        return Sql(self.datastore, postgres=self.postgres)

    # -- the tables -------------------------------------------------------------

    def create_read_model_tables(self) -> None:
        """Make the tables in this version's shape; an older shape is dropped, to be
        refilled from the events by the next catch-up."""
        if self._is_current():
            return  # nothing to write: opening never contends with other writers
        for attempt in range(10):
            try:
                self._create_tables()
                return
            except Exception as error:
                # Two processes creating the tables at once: try again.
                said = str(error) + repr(error.__cause__)
                if attempt == 9 or not any(
                    words in said for words in
                    ("concurrently", "database is locked", "deadlock detected")
                ):
                    raise
                time.sleep(random.uniform(0.01, 0.1))

    def _is_current(self) -> bool:
        """Whether the tables exist in this version's shape (read only: a writer that
        committed since cannot make this fail, as a read-then-write transaction can)."""
        try:
            rows = self.sql.fetchall("SELECT value FROM rm_meta WHERE name = 'version'")
        except Exception:
            return False  # no read models yet
        return bool(rows) and rows[0]["value"] == READMODEL_VERSION

    def _create_tables(self) -> None:
        with self.sql.transaction() as c:
            c.execute(META)
            c.execute("SELECT value FROM rm_meta WHERE name = 'version'")
            found = c.fetchone()
            if found is not None and found["value"] != READMODEL_VERSION:
                self._reset(c, indexes=True)  # an older shape: rebuilt from the events
            for statement in SCHEMA:
                c.execute(statement)
            c.execute("INSERT INTO rm_meta VALUES ('version', ?) ON CONFLICT (name) "
                      "DO UPDATE SET value = excluded.value", (READMODEL_VERSION,))

    def reset(self, *, indexes: bool) -> None:
        """Empty every table and forget the tracked position; without ``indexes`` the
        secondary indexes are left out, for a rebuild to make at the end."""
        with self.sql.transaction() as c:
            self._reset(c, indexes=indexes)

    def _reset(self, c: Any, *, indexes: bool) -> None:
        for table in TABLES:
            c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(f"DELETE FROM {self.tracking_table_name} WHERE application_name = ?",
                  (TRACKING_NAME,))
        for statement in SCHEMA:
            if indexes or statement not in INDEXES:
                c.execute(statement)

    def finish_rebuild(self) -> None:
        """The secondary indexes, made once the tables are full; a rebuild cannot open
        erased content, so its sources need no re-deriving."""
        with self.sql.transaction() as c:
            for statement in INDEXES:
                c.execute(statement)
            c.execute("DELETE FROM rm_meta WHERE name = 'rederive'")

    # -- folding ------------------------------------------------------------------

    def position(self) -> int:
        """The notification id of the last event folded (0: none)."""
        return self.max_tracking_id(TRACKING_NAME) or 0

    @contextmanager
    def folding(self, last_id: int) -> Iterator[FoldWrites]:
        """One transaction that writes a batch's rows and advances the tracked position
        to ``last_id``; nothing is kept if the batch fails."""
        with self.sql.transaction() as c:
            # Write first: on SQLite this takes the write lock (waiting for another
            # writer) before any read, so a commit elsewhere cannot make it fail.
            c.execute("UPDATE rm_meta SET value = value WHERE name = 'version'")
            yield FoldWrites(c)
            self._insert_tracking(c.cursor, Tracking(TRACKING_NAME, last_id))

    # -- sources, after an erasure ---------------------------------------------------

    def needs_rederive(self) -> bool:
        """Whether an erasure was folded since sources were last re-derived."""
        return bool(self.sql.fetchall("SELECT 1 FROM rm_meta WHERE name = 'rederive'"))

    def reregister_sources(self, first: Mapping[str, tuple[str, str]]) -> int:
        """Give each source the (name, kind) in ``first`` where it differs, and clear the
        erasure's mark, in one transaction; returns the rows changed."""
        changed = 0
        with self.sql.transaction() as c:
            c.execute("DELETE FROM rm_meta WHERE name = 'rederive'")
            c.execute("SELECT source_key, name, kind FROM rm_sources")
            for row in c.fetchall():
                seen = first.get(row["source_key"])
                if seen is not None and seen != (row["name"], row["kind"]):
                    c.execute("UPDATE rm_sources SET name = ?, kind = ? WHERE source_key = ?",
                              (*seen, row["source_key"]))
                    changed += 1
        return changed


class FoldWrites:
    """The writes of one batch's fold, inside the recorder's transaction."""

    def __init__(self, c: Any):
        self.c = c

    def insert_rows(self, events: Sequence[Row], revisions: Sequence[Row],
                    citations: Sequence[Row], versions: Sequence[Row],
                    details: Sequence[Row]) -> None:
        """Rows gathered by the fold, many at a time (a citation already there stays)."""
        c = self.c
        c.executemany("INSERT INTO rm_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", events)
        c.executemany("INSERT INTO rm_revisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                      revisions)
        c.executemany("INSERT INTO rm_citations VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                      citations)
        c.executemany("INSERT INTO rm_versions VALUES (?,?,?,?,?,?,?)", versions)
        c.executemany("INSERT INTO rm_details VALUES (?,?,?,?,?,?,?)", details)

    # -- stories --------------------------------------------------------------------

    def insert_story(self, row: Row) -> None:
        self.c.execute("INSERT INTO rm_stories VALUES (?,?,?,?,?,?,?,?)", row)

    def set_headline(self, story_id: str, headline: str) -> None:
        self.c.execute("UPDATE rm_stories SET headline = ? WHERE story_id = ?",
                       (headline, story_id))

    def set_standfirst(self, story_id: str, standfirst: str) -> None:
        self.c.execute("UPDATE rm_stories SET standfirst = ? WHERE story_id = ?",
                       (standfirst, story_id))

    # -- updates ---------------------------------------------------------------------

    def last_revision(self, story_id: str, update_id: str) -> int:
        """The update's newest revision stored so far (0: none)."""
        self.c.execute("SELECT MAX(revision) AS r FROM rm_revisions WHERE story_id = ? "
                       "AND update_id = ?", (story_id, update_id))
        return int(self.c.fetchone()["r"] or 0)

    def insert_review(self, row: Row) -> None:
        self.c.execute("INSERT INTO rm_reviews VALUES (?,?,?,?,?,?)", row)

    def mark_rederive(self) -> None:
        """Sources must be re-derived once the key is gone (``reregister_sources``); the
        mark survives a crash in between."""
        self.c.execute("INSERT INTO rm_meta VALUES ('rederive', 1) ON CONFLICT (name) "
                       "DO UPDATE SET value = 1")

    def purge_content(self, story_id: str, update_id: str) -> None:
        """An erased update's text, sources and media, and its citations, gone."""
        self.c.execute("UPDATE rm_revisions SET body = NULL, sources = NULL, media = NULL, "
                       "erased = 1 WHERE story_id = ? AND update_id = ?", (story_id, update_id))
        self.c.execute("DELETE FROM rm_citations WHERE story_id = ? AND update_id = ?",
                       (story_id, update_id))

    def changed_fields(self, story_id: str, update_id: str) -> list[tuple[int, str]]:
        """(position, changed fields) of the update's events that changed any."""
        self.c.execute("SELECT position, changed FROM rm_events WHERE story_id = ? AND "
                       "update_id = ? AND changed <> ''", (story_id, update_id))
        return [(row["position"], row["changed"]) for row in self.c.fetchall()]

    def set_changed_fields(self, story_id: str, position: int, changed: str) -> None:
        self.c.execute("UPDATE rm_events SET changed = ? WHERE story_id = ? AND "
                       "position = ?", (changed, story_id, position))

    # -- sources ---------------------------------------------------------------------

    def source_merges(self) -> dict[str, str | None]:
        """Every source's key and the key it was merged into (None: not merged)."""
        self.c.execute("SELECT source_key, merged_into FROM rm_sources")
        return {r["source_key"]: r["merged_into"] for r in self.c.fetchall()}

    def insert_source(self, key: str, name: str, kind: str) -> None:
        self.c.execute("INSERT INTO rm_sources VALUES (?,?,?,?)", (key, name, kind, None))

    def drop_uncited_sources(self) -> None:
        """Sources cited nowhere any more go (a confidential name may live only here);
        names merged into another source stay, so the merge still applies."""
        self.c.execute("DELETE FROM rm_sources WHERE merged_into IS NULL AND source_key NOT IN "
                       "(SELECT source_key FROM rm_citations) AND source_key NOT IN "
                       "(SELECT via FROM rm_citations WHERE via IS NOT NULL) AND source_key "
                       "NOT IN (SELECT merged_into FROM rm_sources WHERE merged_into IS NOT NULL)")

    def is_secret_source(self, key: str) -> bool:
        """Whether a merge recorded as confidential joined this source."""
        self.c.execute("SELECT 1 FROM rm_source_secrets WHERE source_key = ?", (key,))
        return bool(self.c.fetchall())

    def mark_secret_source(self, key: str) -> None:
        self.c.execute("INSERT INTO rm_source_secrets VALUES (?) ON CONFLICT DO NOTHING", (key,))

    def set_merged_into(self, key: str, into: str) -> None:
        self.c.execute("UPDATE rm_sources SET merged_into = ? WHERE source_key = ?", (into, key))

    def move_citations(self, source: str, into: str) -> None:
        """Re-point every citation of ``source`` (direct, or as a channel) at ``into``."""
        # source_key is part of the citations' key: a citation the merged-into source
        # already has stays once. via is not: re-pointing it is a plain update (an
        # insert-then-delete would conflict with the row itself and lose it).
        self.c.execute(
            "INSERT INTO rm_citations SELECT ?, story_id, update_id, revision, position, "
            "role, as_cited, via FROM rm_citations WHERE source_key = ? ON CONFLICT DO NOTHING",
            (into, source),
        )
        self.c.execute("DELETE FROM rm_citations WHERE source_key = ?", (source,))
        self.c.execute("UPDATE rm_citations SET via = ? WHERE via = ?", (into, source))


def is_duplicate(error: BaseException) -> bool:
    """A unique key refused a row: someone else applied these events first."""
    names = {type(e).__name__ for e in (error, error.__cause__, error.__context__) if e}
    return bool(names & {"IntegrityError", "UniqueViolation"})
