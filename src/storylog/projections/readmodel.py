"""Read models: the views, materialised as tables in the same database.

They are folds over the event log, kept up to date by position: eventsourcing's
tracking recorder holds the last notification id applied, and each batch of
events is applied in the same transaction that advances it, so a crash or a
second process can never apply an event twice. On SQLite, readers pull the
events after that position before they read (`catch_up`); on PostgreSQL the
library's ProjectionRunner can also follow the log (`storylog project --follow`).

Revisions are stored as deltas (only what an event changed), so applying an
event is appends only; the state of an update at a position is the fold of its
revisions up to there (`projections.queries`).

Folding works on the stored records (plain dicts), not on pydantic events:
rebuilding a million events must cost little more than reading them.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

import orjson
from eventsourcing.persistence import Notification, Tracking, TrackingRecorder
from eventsourcing.utils import resolve_topic

from storylog.domain.sources import DEFAULT_GAZETTEER, canonical_name, guess_kind, source_key
from storylog.projections.current import READMODEL_VERSION, TRACKING_NAME
from storylog.store.mapper import upcast_state
from storylog.store.sealing import KeyStore
from storylog.store.sql import Sql

BATCH = 2000
BULK_BATCH = 20_000

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS rm_stories (story_id TEXT PRIMARY KEY, slug TEXT NOT NULL, "
    "headline TEXT, standfirst TEXT, tz TEXT, lang TEXT, opened_at TEXT, opened_by TEXT)",
    "CREATE TABLE IF NOT EXISTS rm_details (story_id TEXT, position INTEGER, headline TEXT, "
    "standfirst TEXT, kind TEXT, note TEXT, recorded_at TEXT, PRIMARY KEY (story_id, position))",
    "CREATE TABLE IF NOT EXISTS rm_events (story_id TEXT, position INTEGER, "
    "notification_id BIGINT, recorded_at TEXT, editor TEXT, type TEXT, update_id TEXT, "
    "kind TEXT, reason TEXT, note TEXT, command_id TEXT, changed TEXT, version INTEGER, "
    "revision INTEGER, flags TEXT, override TEXT, PRIMARY KEY (story_id, position))",
    "CREATE INDEX IF NOT EXISTS rm_events_update ON rm_events (story_id, update_id, position)",
    "CREATE INDEX IF NOT EXISTS rm_events_recorded ON rm_events (recorded_at)",
    "CREATE INDEX IF NOT EXISTS rm_events_editor ON rm_events (editor)",
    "CREATE TABLE IF NOT EXISTS rm_revisions (story_id TEXT, update_id TEXT, revision INTEGER, "
    "position INTEGER, recorded_at TEXT, editor TEXT, action TEXT, stamp TEXT, status TEXT, "
    "key_event INTEGER, body TEXT, sources TEXT, media TEXT, note TEXT, erased INTEGER, "
    "PRIMARY KEY (story_id, update_id, revision))",
    "CREATE INDEX IF NOT EXISTS rm_revisions_position ON rm_revisions (story_id, position)",
    "CREATE INDEX IF NOT EXISTS rm_revisions_action ON rm_revisions (action)",
    "CREATE TABLE IF NOT EXISTS rm_versions (story_id TEXT, version INTEGER, position INTEGER, "
    "recorded_at TEXT, editor TEXT, note TEXT, head TEXT, PRIMARY KEY (story_id, version))",
    "CREATE TABLE IF NOT EXISTS rm_sources (source_key TEXT PRIMARY KEY, name TEXT, kind TEXT, "
    "merged_into TEXT)",
    # Identities joined by a merge recorded as confidential (and whatever joined them
    # later): the public site never applies their merges.
    "CREATE TABLE IF NOT EXISTS rm_source_secrets (source_key TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS rm_citations (source_key TEXT, story_id TEXT, update_id TEXT, "
    "revision INTEGER, position INTEGER, role TEXT, as_cited TEXT, via TEXT, "
    "PRIMARY KEY (source_key, story_id, update_id, revision, role))",
    "CREATE INDEX IF NOT EXISTS rm_citations_update ON rm_citations (story_id, update_id)",
    "CREATE TABLE IF NOT EXISTS rm_reviews (story_id TEXT, update_id TEXT, revision INTEGER, "
    "editor TEXT, recorded_at TEXT, note TEXT, PRIMARY KEY (story_id, update_id, revision))",
]
INDEXES = [statement for statement in SCHEMA if statement.startswith("CREATE INDEX")]
TABLES = ["rm_stories", "rm_details", "rm_events", "rm_revisions", "rm_versions",
          "rm_sources", "rm_source_secrets", "rm_citations", "rm_reviews"]
SCHEMA_META = [
    "CREATE TABLE IF NOT EXISTS rm_meta (name TEXT PRIMARY KEY, value INTEGER)",
]

@dataclass(frozen=True)
class Record:
    """One stored event, decoded and upcast, content opened: what folds read."""

    type: str
    story_id: str
    position: int
    notification_id: int
    recorded_at: str
    editor: str
    command_id: str
    payload: dict[str, Any]


def utc_text(iso: str) -> str:
    """A recorded time as fixed-width UTC text, so that text order is time order."""
    if iso.endswith("+00:00") and len(iso) in (25, 32):  # storylog's own: no parsing
        base = iso[:-6]
        return (base if len(base) == 26 else base + ".000000") + "Z"
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Decoder:
    """Stored rows to Records, with topic resolution cached."""

    def __init__(self, keys: KeyStore):
        self.keys = keys
        self._classes: dict[str, type] = {}

    def __call__(self, n: Notification | RawRow) -> Record:
        if isinstance(n, Notification):
            n = RawRow(n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
        cls = self._classes.get(n.topic)
        if cls is None:
            cls = self._classes[n.topic] = resolve_topic(n.topic)
        record = orjson.loads(n.state)
        state = upcast_state(cls, record, self.keys)
        return Record(
            cls.__name__, n.story_id, n.position, n.id,
            utc_text(record["recorded_at"]), state["editor"], state["command_id"],
            state["payload"],
        )


class RawRow(NamedTuple):
    """A stored event read with plain SQL: cheaper than the library's Notification."""

    id: int
    story_id: str
    position: int
    topic: str
    state: bytes


class ReadModel:
    """The read-model tables of one database, and the fold that fills them."""

    def __init__(self, sql: Sql, tracking: TrackingRecorder):
        self.sql = sql
        self.tracking = tracking
        self._source_cache: dict[str, str] | None = None  # key -> final key (merges applied)
        # Called when the fold meets an erasure, so a crash between saving the event
        # and destroying the key is finished by the next catch-up.
        self.on_erase: Callable[[str, str], None] | None = None
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
            for statement in SCHEMA_META:
                c.execute(statement)
            c.execute("SELECT value FROM rm_meta WHERE name = 'version'")
            found = c.fetchone()
            if found is not None and found["value"] != READMODEL_VERSION:
                self._reset(c, indexes=True)  # an older shape: rebuilt from the events
            for statement in SCHEMA:
                c.execute(statement)
            c.execute("INSERT INTO rm_meta VALUES ('version', ?) ON CONFLICT (name) "
                      "DO UPDATE SET value = excluded.value", (READMODEL_VERSION,))

    # -- position -------------------------------------------------------------

    def position(self) -> int:
        return self.tracking.max_tracking_id(TRACKING_NAME) or 0

    def catch_up(
        self, notifications: Callable[[int, int], Sequence[Any]], decode: Decoder,
        progress: Callable[[int], None] | None = None, batch: int = BULK_BATCH,
    ) -> int:
        """Apply every event after the tracked position; returns how many were applied.

        Batches start small (a write's own few events) and grow up to ``batch`` while
        full ones keep coming (a load, a long outage): fewer, larger commits."""
        applied = 0
        size = min(batch, BATCH)
        while True:
            start = self.position() + 1
            rows = notifications(start, size)
            if not rows:
                return applied
            try:
                self.apply(map(decode, rows), rows[-1].id)
            except Exception as error:
                if not is_duplicate(error) or self.position() < start:
                    raise
                continue  # another reader applied this batch first; move on from there
            applied += len(rows)
            if progress:
                progress(len(rows))
            if len(rows) == size:
                size = min(size * 4, batch)

    def apply(self, records: Iterable[Record], last_id: int) -> None:
        """Apply events and advance the tracked position, in one transaction."""
        try:
            with self.sql.transaction() as c:
                # Write first: on SQLite this takes the write lock (waiting for another
                # writer) before any read, so a commit elsewhere cannot make it fail.
                c.execute("UPDATE rm_meta SET value = value WHERE name = 'version'")
                writer = _Writer(c, self)
                for record in records:
                    writer.fold(record)
                writer.flush()
                # eventsourcing's own tracking insert, inside our transaction
                cast(Any, self.tracking)._insert_tracking(
                    c.cursor, Tracking(TRACKING_NAME, last_id)
                )
        except Exception:
            self._source_cache = None  # the cache may hold rolled-back sources
            raise
        if self.on_erase is not None:  # after the commit: it writes in its own transaction
            for story_id, update_id in writer.erased:
                self.on_erase(story_id, update_id)

    def rederive_sources(
        self, notifications: Callable[[int, int], Sequence[Any]], decode: Decoder,
    ) -> int:
        """After an erasure, give every source the name and kind a rebuild would: those
        of its first sight among the events whose content can still be opened (the
        first sight may have been in the erased update). Reads every event, as the
        erasure's scrub rewrites the whole file anyway. Returns the rows changed."""
        first: dict[str, tuple[str, str]] = {}
        start = 1
        while rows := notifications(start, BULK_BATCH):
            for record in map(decode, rows):
                for name, kind in _sightings(record):
                    key = _key_of(name)
                    if key not in first:
                        first[key] = _first_sight(name, kind)
            start = rows[-1].id + 1
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
        self._source_cache = None
        return changed

    def needs_rederive(self) -> bool:
        """Whether an erasure was folded since sources were last re-derived."""
        return bool(self.sql.fetchall("SELECT 1 FROM rm_meta WHERE name = 'rederive'"))

    def rebuild(
        self, notifications: Callable[[int, int], Sequence[Any]], decode: Decoder,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Drop and refill every table: big batches, secondary indexes made at the end."""
        with self.sql.transaction() as c:
            self._reset(c, indexes=False)
        self._source_cache = None
        decode.keys.preload()
        applied = self.catch_up(notifications, decode, progress, batch=BULK_BATCH)
        with self.sql.transaction() as c:
            for statement in INDEXES:
                c.execute(statement)
            # A rebuild cannot open erased content: its sources are already as wanted.
            c.execute("DELETE FROM rm_meta WHERE name = 'rederive'")
        return applied

    def drop(self) -> None:
        """Forget every view and the tracked position; the next catch-up refills them."""
        with self.sql.transaction() as c:
            self._reset(c, indexes=True)
        self._source_cache = None

    def _reset(self, c: Any, *, indexes: bool) -> None:
        for table in TABLES:
            c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(f"DELETE FROM {_tracking_table(self.tracking)} WHERE application_name = ?",
                  (TRACKING_NAME,))
        for statement in SCHEMA:
            if indexes or statement not in INDEXES:
                c.execute(statement)

    # -- sources ----------------------------------------------------------------

    def source_map(self, c: Any) -> dict[str, str]:
        if self._source_cache is None:
            c.execute("SELECT source_key, merged_into FROM rm_sources")
            self._source_cache = {r["source_key"]: r["merged_into"] or r["source_key"]
                                  for r in c.fetchall()}
        return self._source_cache


def is_duplicate(error: BaseException) -> bool:
    """A unique key refused a row: someone else applied these events first."""
    names = {type(e).__name__ for e in (error, error.__cause__, error.__context__) if e}
    return bool(names & {"IntegrityError", "UniqueViolation"})


def _tracking_table(tracking: TrackingRecorder) -> str:
    return str(getattr(tracking, "tracking_table_name", "tracking"))


class _Writer:
    """Folds records into rows, batching inserts per table."""

    def __init__(self, c: Any, model: ReadModel):
        self.c = c
        self.model = model
        self.rows: dict[str, list[tuple[Any, ...]]] = {
            "events": [], "revisions": [], "citations": [], "versions": [], "details": [],
        }
        self.erased: list[tuple[str, str]] = []

    def fold(self, r: Record) -> None:
        p = r.payload
        changed, revision = getattr(self, f"_{r.type}")(r, p)
        self.rows["events"].append((
            r.story_id, r.position, r.notification_id, r.recorded_at, r.editor, r.type,
            p.get("update_id"), p.get("kind") or p.get("grounds"), p.get("reason"),
            p.get("note"), r.command_id, changed, p.get("version"), revision,
            ",".join(p.get("flags") or ()) or None, p.get("override"),
        ))

    def flush(self) -> None:
        c = self.c
        c.executemany(
            "INSERT INTO rm_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", self.rows["events"])
        c.executemany(
            "INSERT INTO rm_revisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            self.rows["revisions"])
        c.executemany(
            "INSERT INTO rm_citations VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
            self.rows["citations"])
        c.executemany("INSERT INTO rm_versions VALUES (?,?,?,?,?,?,?)", self.rows["versions"])
        c.executemany("INSERT INTO rm_details VALUES (?,?,?,?,?,?,?)", self.rows["details"])
        for rows in self.rows.values():
            rows.clear()

    # -- one method per event type: returns (changed fields, revision) ---------

    def _Opened(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        if "slug" not in p:
            return "", None  # the source registry's own opening
        self.c.execute(
            "INSERT INTO rm_stories VALUES (?,?,?,?,?,?,?,?)",
            (r.story_id, p["slug"], p["headline"], p["standfirst"], p["tz"], p["lang"],
             r.recorded_at, r.editor),
        )
        self.rows["details"].append(
            (r.story_id, r.position, p["headline"], p["standfirst"], None, None, r.recorded_at))
        return "", None

    def _DetailsChanged(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        self.rows["details"].append((r.story_id, r.position, p.get("headline"),
                                     p.get("standfirst"), p["kind"], p.get("note"),
                                     r.recorded_at))
        if p.get("headline") is not None:
            self.c.execute("UPDATE rm_stories SET headline = ? WHERE story_id = ?",
                           (p["headline"], r.story_id))
        if p.get("standfirst") is not None:
            self.c.execute("UPDATE rm_stories SET standfirst = ? WHERE story_id = ?",
                           (p["standfirst"], r.story_id))
        return ",".join(f for f in ("headline", "standfirst") if p.get(f) is not None), None

    def _UpdateAdded(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        content = p.get("content")
        self._revision(r, p["update_id"], 1, "added", p["stamp"], p["status"], p["key_event"],
                       content, None)
        return "", 1

    def _UpdateEdited(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        revision = p["base_revision"] + 1
        content = p.get("content")
        self._revision(r, p["update_id"], revision, p["kind"], p.get("stamp"), p.get("status"),
                       p.get("key_event"), content, p.get("note"))
        fields = [f for f in ("stamp", "status", "key_event") if p.get(f) is not None]
        if content:
            fields += [f for f in ("body", "sources", "media") if content.get(f) is not None]
        return ",".join(fields), revision

    def _UpdateRetracted(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        revision = p["base_revision"] + 1
        self.rows["revisions"].append((
            r.story_id, p["update_id"], revision, r.position, r.recorded_at, r.editor,
            "retracted", None, None, None, None, None, None, p["note"], 0,
        ))
        return "", revision

    def _UpdateTakenDown(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        revision = self._next_revision(r.story_id, p["update_id"])
        self.rows["revisions"].append((
            r.story_id, p["update_id"], revision, r.position, r.recorded_at, r.editor,
            "taken-down", None, None, None, None, None, None, p["grounds"], int(p["erase"]),
        ))
        if p["erase"]:
            self.erase(r.story_id, p["update_id"])
            self.erased.append((r.story_id, p["update_id"]))
        return "", revision

    def erase(self, story_id: str, update_id: str) -> None:
        """Remove an update's content, and sources no longer cited, from every table."""
        self.flush()
        # Once the key is gone, sources are given what a rebuild would give them
        # (ReadModel.rederive_sources); the mark survives a crash in between.
        self.c.execute("INSERT INTO rm_meta VALUES ('rederive', 1) ON CONFLICT (name) "
                       "DO UPDATE SET value = 1")
        self.c.execute("UPDATE rm_revisions SET body = NULL, sources = NULL, media = NULL, "
                       "erased = 1 WHERE story_id = ? AND update_id = ?", (story_id, update_id))
        self.c.execute("DELETE FROM rm_citations WHERE story_id = ? AND update_id = ?",
                       (story_id, update_id))
        # Which content fields an edit changed is unknowable once the content is gone
        # (a rebuild cannot open it): say so the same way now.
        self.c.execute("SELECT position, changed FROM rm_events WHERE story_id = ? AND "
                       "update_id = ? AND changed <> ''", (story_id, update_id))
        for row in self.c.fetchall():
            kept = ",".join(f for f in row["changed"].split(",")
                            if f not in ("body", "sources", "media"))
            self.c.execute("UPDATE rm_events SET changed = ? WHERE story_id = ? AND "
                           "position = ?", (kept, story_id, row["position"]))
        # Sources cited nowhere any more go (a confidential name may live only here);
        # names merged into another source stay, so the merge still applies.
        self.c.execute("DELETE FROM rm_sources WHERE merged_into IS NULL AND source_key NOT IN "
                       "(SELECT source_key FROM rm_citations) AND source_key NOT IN "
                       "(SELECT via FROM rm_citations WHERE via IS NOT NULL) AND source_key "
                       "NOT IN (SELECT merged_into FROM rm_sources WHERE merged_into IS NOT NULL)")
        self.model._source_cache = None

    def _next_revision(self, story_id: str, update_id: str) -> int:
        pending = [row[2] for row in self.rows["revisions"]
                   if row[0] == story_id and row[1] == update_id]
        self.c.execute("SELECT MAX(revision) AS r FROM rm_revisions WHERE story_id = ? "
                       "AND update_id = ?", (story_id, update_id))
        stored = self.c.fetchone()["r"] or 0
        return max([stored, *pending]) + 1

    def _CorrectionReviewed(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        self.c.execute("INSERT INTO rm_reviews VALUES (?,?,?,?,?,?)",
                       (r.story_id, p["update_id"], p["revision"], r.editor, r.recorded_at,
                        p.get("note")))
        return "", p["revision"]

    def _VersionPublished(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        self.rows["versions"].append((r.story_id, p["version"], r.position, r.recorded_at,
                                      r.editor, p.get("note"), p["head"]))
        return "", None

    def _SourcesMerged(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        self.flush()  # citations before the merge must be re-pointed too
        sources = self.model.source_map(self.c)
        source, into = self._source(p["source"]), self._source(p["into"])
        self.c.execute("SELECT 1 FROM rm_source_secrets WHERE source_key = ?", (source,))
        if p.get("confidential") or self.c.fetchall():
            self.c.execute("INSERT INTO rm_source_secrets VALUES (?) ON CONFLICT DO NOTHING",
                           (into,))
        for key, final in list(sources.items()):
            if final == source:
                sources[key] = into
                self.c.execute("UPDATE rm_sources SET merged_into = ? WHERE source_key = ?",
                               (into, key))
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
        return "", None

    # -- helpers ---------------------------------------------------------------

    def _revision(
        self, r: Record, update_id: str, revision: int, action: str, stamp: str | None,
        status: str | None, key_event: bool | None, content: dict[str, Any] | None,
        note: str | None,
    ) -> None:
        erased = content is None and action == "added"
        body = sources = media = None
        if content:
            body = content.get("body")
            if content.get("sources") is not None:
                sources = orjson.dumps(content["sources"]).decode()
                self._cite(r, update_id, revision, content["sources"])
            if content.get("media") is not None:
                media = orjson.dumps(content["media"]).decode()
        self.rows["revisions"].append((
            r.story_id, update_id, revision, r.position, r.recorded_at, r.editor, action, stamp,
            status, None if key_event is None else int(key_event), body, sources, media, note,
            int(erased),
        ))

    def _cite(self, r: Record, update_id: str, revision: int,
              sources: list[dict[str, Any]]) -> None:
        for s in sources:
            key = self._source(s["name"], s.get("kind"))
            via = self._source(s["via"]) if s.get("via") else None
            self.rows["citations"].append(
                (key, r.story_id, update_id, revision, r.position, "direct", s["name"], via))
            if via:
                self.rows["citations"].append(
                    (via, r.story_id, update_id, revision, r.position, "via", s["name"], key))

    def _source(self, name: str, kind: str | None = None) -> str:
        """The final key of a source name, registering the source on first sight."""
        sources = self.model.source_map(self.c)
        key = _key_of(name)
        if key not in sources:
            self.c.execute("INSERT INTO rm_sources VALUES (?,?,?,?)",
                           (key, *_first_sight(name, kind), None))
            sources[key] = key
        return sources[key]


def _first_sight(name: str, kind: str | None) -> tuple[str, str]:
    """A source's name and kind as registered where it is first seen."""
    canonical = canonical_name(name)
    known_kind = DEFAULT_GAZETTEER.get(canonical, (None,))[0]
    chosen = kind if kind and kind != "other" else (known_kind or guess_kind(name))
    return canonical, str(chosen)


def _sightings(r: Record) -> Iterator[tuple[str, str | None]]:
    """The source names an event registers, in the order the fold meets them."""
    p = r.payload
    if r.type == "SourcesMerged":
        yield p["source"], None
        yield p["into"], None
        return
    content = p.get("content") if r.type in ("UpdateAdded", "UpdateEdited") else None
    for s in (content or {}).get("sources") or ():
        yield s["name"], s.get("kind")
        if s.get("via"):
            yield s["via"], None


@functools.lru_cache(maxsize=65_536)
def _key_of(name: str) -> str:
    """A source name's identity key; names repeat on almost every update, and working the
    key out (Unicode folding, gazetteer aliases) was a quarter of a rebuild's time."""
    return source_key(canonical_name(name))


def batches(rows: Sequence[Notification], size: int) -> Iterator[Sequence[Notification]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
