"""Read models: the views, materialised as tables in the same database.

They are folds over the event log, kept up to date by position: the store's
read-model recorder (``store.readmodel``, an eventsourcing tracking recorder) holds
the last notification id applied, and each batch of events is written in the same
transaction that advances it, so a crash or a second process can never apply an
event twice. On SQLite, readers pull the events after that position before they
read (`catch_up`); on PostgreSQL the library's ProjectionRunner can also follow the
log (`storylog project --follow`, ``StoryProjection``).

This module decides what rows an event makes; the recorder's named writes put them
in tables. Revisions are stored as deltas (only what an event changed), so applying
an event is appends only; the state of an update at a position is the fold of its
revisions up to there (`projections.updates`).

Folding works on the stored records (plain dicts), not on pydantic events:
rebuilding a million events must cost little more than reading them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import orjson
from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.projection import Projection

from storylog.domain.sources import DEFAULT_GAZETTEER, canonical_name, guess_kind, source_key
from storylog.store.decoding import Decoder, Record, utc_text
from storylog.store.readmodel.recorder import FoldWrites, ReadModelRecorder, is_duplicate
from storylog.store.readmodel.schema import TRACKING_NAME

BATCH = 2000
BULK_BATCH = 20_000


class ReadModel:
    """The fold that fills the read models, on the store's recorder of them."""

    def __init__(self, recorder: TrackingRecorder):
        # The factory's tracking recorder is the read models' own: store.backends.env_for
        # names its class for either backend.
        assert isinstance(recorder, ReadModelRecorder), recorder
        self.recorder = recorder
        self._source_cache: dict[str, str] | None = None  # key -> final key (merges applied)
        # Called when the fold meets an erasure, so a crash between saving the event
        # and destroying the key is finished by the next catch-up.
        self.on_erase: Callable[[str, str], None] | None = None

    # -- position -------------------------------------------------------------

    def position(self) -> int:
        return self.recorder.position()

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
            with self.recorder.folding(last_id) as writes:
                writer = _Writer(writes, self)
                for record in records:
                    writer.fold(record)
                writer.flush()
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
        changed = self.recorder.reregister_sources(first)
        self._source_cache = None
        return changed

    def needs_rederive(self) -> bool:
        """Whether an erasure was folded since sources were last re-derived."""
        return self.recorder.needs_rederive()

    def rebuild(
        self, notifications: Callable[[int, int], Sequence[Any]], decode: Decoder,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Drop and refill every table: big batches, secondary indexes made at the end."""
        self.recorder.reset(indexes=False)
        self._source_cache = None
        decode.keys.preload()
        applied = self.catch_up(notifications, decode, progress, batch=BULK_BATCH)
        self.recorder.finish_rebuild()
        return applied

    def drop(self) -> None:
        """Forget every view and the tracked position; the next catch-up refills them."""
        self.recorder.reset(indexes=True)
        self._source_cache = None

    # -- sources ----------------------------------------------------------------

    def source_map(self, c: FoldWrites) -> dict[str, str]:
        """Every source's final key (merges applied), read once and kept up by the fold."""
        if self._source_cache is None:
            self._source_cache = {key: into or key for key, into in c.source_merges().items()}
        return self._source_cache


class StoryProjection(Projection[ReadModelRecorder]):
    """The fold as the library's ProjectionRunner drives it (``project --follow``)."""

    name = TRACKING_NAME  # the same tracking row as the pull-based catch-up

    def __init__(self, view: ReadModelRecorder):
        super().__init__(view)
        self.model = ReadModel(view)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.model.apply([record_of(domain_event, tracking.notification_id)],
                         tracking.notification_id)


def record_of(event: Any, notification_id: int) -> Record:
    """A domain event, as the runner hands it over, as the Record a fold reads."""
    return Record(
        type(event).__name__, str(event.originator_id), event.originator_version,
        notification_id, utc_text(event.timestamp.isoformat()), event.editor,
        event.command_id, event.payload.model_dump(mode="json"),
    )


class _Writer:
    """Folds records into rows, batching inserts per table."""

    def __init__(self, writes: FoldWrites, model: ReadModel):
        self.writes = writes
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
        self.writes.insert_rows(**self.rows)
        for rows in self.rows.values():
            rows.clear()

    # -- one method per event type: returns (changed fields, revision) ---------

    def _Opened(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        if "slug" not in p:
            return "", None  # the source registry's own opening
        self.writes.insert_story((r.story_id, p["slug"], p["headline"], p["standfirst"],
                                  p["tz"], p["lang"], r.recorded_at, r.editor))
        self.rows["details"].append(
            (r.story_id, r.position, p["headline"], p["standfirst"], None, None, r.recorded_at))
        return "", None

    def _DetailsChanged(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        self.rows["details"].append((r.story_id, r.position, p.get("headline"),
                                     p.get("standfirst"), p["kind"], p.get("note"),
                                     r.recorded_at))
        if p.get("headline") is not None:
            self.writes.set_headline(r.story_id, p["headline"])
        if p.get("standfirst") is not None:
            self.writes.set_standfirst(r.story_id, p["standfirst"])
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
        self.writes.mark_rederive()
        self.writes.purge_content(story_id, update_id)
        # Which content fields an edit changed is unknowable once the content is gone
        # (a rebuild cannot open it): say so the same way now.
        for position, changed in self.writes.changed_fields(story_id, update_id):
            kept = ",".join(f for f in changed.split(",")
                            if f not in ("body", "sources", "media"))
            self.writes.set_changed_fields(story_id, position, kept)
        self.writes.drop_uncited_sources()
        self.model._source_cache = None

    def _next_revision(self, story_id: str, update_id: str) -> int:
        pending = [row[2] for row in self.rows["revisions"]
                   if row[0] == story_id and row[1] == update_id]
        return max([self.writes.last_revision(story_id, update_id), *pending]) + 1

    def _CorrectionReviewed(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        self.writes.insert_review((r.story_id, p["update_id"], p["revision"], r.editor,
                                   r.recorded_at, p.get("note")))
        return "", p["revision"]

    def _VersionPublished(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        self.rows["versions"].append((r.story_id, p["version"], r.position, r.recorded_at,
                                      r.editor, p.get("note"), p["head"]))
        return "", None

    def _SourcesMerged(self, r: Record, p: dict[str, Any]) -> tuple[str, int | None]:
        self.flush()  # citations before the merge must be re-pointed too
        sources = self.model.source_map(self.writes)
        source, into = self._source(p["source"]), self._source(p["into"])
        if p.get("confidential") or self.writes.is_secret_source(source):
            self.writes.mark_secret_source(into)
        for key, final in list(sources.items()):
            if final == source:
                sources[key] = into
                self.writes.set_merged_into(key, into)
        self.writes.move_citations(source, into)
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
        sources = self.model.source_map(self.writes)
        key = _key_of(name)
        if key not in sources:
            self.writes.insert_source(key, *_first_sight(name, kind))
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
