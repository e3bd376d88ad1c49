"""StoryApp: the one way into the event log.

Every command loads the story, lets the aggregate check its rules, and saves.
When another writer saved first (the store refuses the duplicate position),
the command reloads and runs its checks again: an add then simply lands after
the other change, while an edit, retraction or publish that was based on what
the editor saw is refused as a conflict if that moved on.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import EventStore, IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from storylog.domain.payloads import StoryOpenedPayload
from storylog.domain.story import Story, story_id
from storylog.errors import (
    Conflict,
    NotFound,
    RefusedInput,
    StoreUnavailable,
    VerificationFailed,
)
from storylog.projections.readmodel import Decoder, RawRow, ReadModel
from storylog.store.backends import env_for, is_postgres
from storylog.store.keystore import open_keys, table_exists
from storylog.store.mapper import ChainedEventStore, EventMapper, SnapshotMapper
from storylog.store.sealing import KeyStore, key_id
from storylog.store.sql import Sql

T = TypeVar("T")
RETRIES = 100
STARTUP_RETRIES = 10
OPENED_TOPIC = get_topic(Story.Opened)


class StoryApp(Application[UUID]):
    name = "storylog"
    snapshotting_intervals = {Story: 50}  # noqa: RUF012 - eventsourcing's API

    def __init__(self, db: str | Mapping[str, str], keys: str | None = None):
        # eventsourcing's ProjectionRunner constructs applications from an env mapping.
        if not isinstance(db, str):
            keys = db.get("STORYLOG_KEYS") or None
            db = db["STORYLOG_DB"]
        self.db = db
        self.keys_location = keys  # None: the keys are inside the events database
        self.sql: Sql | None = None
        self._readmodel: ReadModel | None = None
        for attempt in range(STARTUP_RETRIES):
            try:
                super().__init__(env=env_for(db))
                return
            except StoreUnavailable:
                raise
            except Exception as error:  # the drivers raise many kinds
                if _is_startup_race(error) and attempt + 1 < STARTUP_RETRIES:
                    time.sleep(random.uniform(0.01, 0.1))
                    continue
                raise StoreUnavailable(f"cannot open {db}: {_first_line(error)}") from None

    # -- construction: storylog's own mapper, keys and chained store ----------

    def construct_mapper(self) -> EventMapper:
        datastore = cast(Any, self.factory).datastore  # both backends have one
        self.sql = Sql(datastore, postgres=is_postgres(self.db))
        self.keys: KeyStore = open_keys(self.sql, self.keys_location, fresh=self._fresh())
        return EventMapper(self.keys)

    def _fresh(self) -> bool:
        """Whether no event was stored yet (the recorder is not made at this point)."""
        assert self.sql is not None
        table = "storylog_events" if self.sql.postgres else "stored_events"
        return not table_exists(self.sql, table) or not self.sql.fetchall(
            f"SELECT 1 FROM {table} LIMIT 1")

    def close(self) -> None:
        keys = getattr(self, "keys", None)
        super().close()
        if keys is not None:
            keys.close()

    def construct_event_store(self) -> EventStore[UUID]:
        return ChainedEventStore(mapper=self.mapper, recorder=self.recorder)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        return EventStore(mapper=SnapshotMapper(self.events), recorder=recorder)

    def _take_snapshots(self, processing_event: Any) -> None:
        """One snapshot per story per save, at the newest interval crossed.

        The library snapshots at every multiple of the interval within a save,
        reloading the story each time: quadratic for an import of thousands of
        updates saved at once. The newest one is all a later load needs.
        """
        interval = self.snapshotting_intervals[Story]
        newest: dict[Any, int] = {}
        for event in processing_event.events:
            if event.originator_version % interval == 0 and isinstance(event, Story.Event):
                newest[event.originator_id] = event.originator_version
        for story, version in newest.items():
            self.take_snapshot(story, version=version)

    @property
    def readmodel(self) -> ReadModel:
        if self._readmodel is None:
            assert self.sql is not None
            self._readmodel = ReadModel(self.factory.tracking_recorder())
            self._readmodel.on_erase = self._erased
        return self._readmodel

    def _erased(self, story: str, update_id: str) -> None:
        """The read models folded an erasure: destroy the key if it is still there (a
        tombstone already there keeps the moment the key was destroyed)."""
        if self.keys.get(key_id(story, update_id)) is not None:
            self._destroy_key(story, update_id)

    def _destroy_key(self, story: str, update_id: str) -> None:
        self.keys.destroy(key_id(story, update_id))

    def erase(self, slug: str, update_id: str) -> None:
        """Destroy an update's content for good: its key, read-model copies, and the
        old bytes in the database's WAL and free pages."""
        self._destroy_key(str(story_id(slug)), update_id)
        self.catch_up()  # the fold of the takedown purges the read models
        self.scrub()

    def scrub(self) -> None:
        """Make deleted bytes unrecoverable from the database files."""
        if is_postgres(self.db):
            import psycopg

            inside = () if self.keys.apart else ("storylog_keys",)
            with psycopg.connect(self.db, autocommit=True) as conn:
                for table in (*inside, "rm_revisions", "rm_citations", "rm_sources"):
                    conn.execute(f"VACUUM FULL {table}")
            self.keys.scrub()
            return
        from storylog.store.sql import scrub_sqlite_file

        scrub_sqlite_file(self.db)
        self.keys.scrub()

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Bring the read models up to the newest event (pull-based, any backend)."""
        applied = self.readmodel.catch_up(self.raw_rows, Decoder(self.keys), progress)
        self._finish_erasures()
        if self.readmodel.needs_rederive():
            # Keys destroyed: sources first seen in erased content get what a rebuild
            # would give them (it cannot see that content).
            self.readmodel.rederive_sources(self.raw_rows, Decoder(self.keys))
        return applied

    def _finish_erasures(self) -> int:
        """Destroy any key an erasure left behind (a crash after the read models saw it);
        returns how many."""
        assert self.sql is not None
        finished = 0
        for row in self.sql.fetchall("SELECT story_id, update_id FROM rm_revisions "
                                     "WHERE action = 'taken-down' AND erased = 1"):
            if self.keys.get(key_id(row["story_id"], row["update_id"])) is not None:
                self._destroy_key(row["story_id"], row["update_id"])
                finished += 1
        return finished

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drop the read models and fold every event again."""
        return self.readmodel.rebuild(self.raw_rows, Decoder(self.keys), progress)

    def _events_table(self) -> tuple[str, str]:
        """The stored events' table and its notification id column (SQLite: the rowid)."""
        assert self.sql is not None
        table = getattr(self.recorder, "events_table_name", "stored_events")
        return table, "notification_id" if self.sql.postgres else "rowid"

    def raw_rows(self, start: int, limit: int) -> list[RawRow]:
        """Stored events from notification id ``start`` on, read with plain SQL."""
        assert self.sql is not None
        table, nid = self._events_table()
        rows = self.sql.fetchall(
            f"SELECT {nid} AS nid, originator_id, originator_version, topic, state "
            f"FROM {table} WHERE {nid} >= ? ORDER BY {nid} LIMIT ?",
            (start, limit))
        return [RawRow(r["nid"], _uuid_text(r["originator_id"]), r["originator_version"],
                       r["topic"], bytes(r["state"])) for r in rows]

    @property
    def chain(self) -> ChainedEventStore:
        assert isinstance(self.events, ChainedEventStore)
        return self.events

    # -- commands -------------------------------------------------------------

    def open_story(
        self, payload: StoryOpenedPayload, *, editor: str, command_id: str = ""
    ) -> Story:
        _check_editor(editor)
        if self.exists(payload.slug):
            earlier = self.recorded(payload.slug, command_id)
            if earlier:  # a re-run: it opened this story already, if it was the same
                from storylog.app.rerun import same_as_before

                same_as_before(payload.slug, command_id, earlier, Story.Opened, payload)
                return self.story(payload.slug)
            raise RefusedInput(f"story {payload.slug} already exists; choose another slug")
        story = Story.open(payload, editor=editor, command_id=command_id or _new_id())
        try:
            self.save(story)
        except IntegrityError:
            raise RefusedInput(f"story {payload.slug} already exists; pick another slug") from None
        return story

    def change(
        self, slug: str, editor: str, command: Callable[[Story, str], T], command_id: str = ""
    ) -> T:
        """Run ``command`` on the latest story and save what it did, retrying on a race.

        A command that finds its ``command_id`` already applied returns the earlier
        result and triggers nothing, so a re-run after a crash does not write twice.
        """
        _check_editor(editor)
        if command_id:
            self._refuse_old_command(slug, command_id)
        command_id = command_id or _new_id()
        for attempt in range(RETRIES):
            story = self.story(slug)
            result = command(story, command_id)
            if not story.pending_events:
                return result
            try:
                self.save(story)
            except IntegrityError:
                # Someone saved first: back off a little (jittered, so that racing
                # writers stop colliding), reload and check again.
                time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 20)))
                continue
            return result
        raise Conflict(f"{slug} is changing too fast to save; try again")

    def _refuse_old_command(self, slug: str, command_id: str) -> None:
        """A command id the story has since forgotten (only the last 1,000 are kept in
        the aggregate) may still be in the read models: never write it twice."""
        story = self.story(slug)
        if story.done_by(command_id) is not None:
            return  # recent: the command itself returns what it did
        assert self.sql is not None
        self.catch_up()
        rows = self.sql.fetchall(
            "SELECT position FROM rm_events WHERE story_id = ? AND command_id = ?",
            (str(story.id), command_id))
        if rows:
            raise RefusedInput(f"command {command_id} was already applied to {slug} "
                               f"(event {rows[0]['position']}); it is not written twice")

    def recorded(self, slug: str, command_id: str) -> list[Story.Event]:
        """The events a command id wrote into a story, in order (several for an import),
        so that a re-run can be compared with what it did then."""
        if not command_id or not self.exists(slug):
            return []
        assert self.sql is not None
        self.catch_up()
        sid = story_id(slug)
        found = self.sql.fetchall(
            "SELECT MIN(position) AS first, MAX(position) AS last FROM rm_events "
            "WHERE story_id = ? AND command_id = ?", (str(sid), command_id))
        if not found or found[0]["first"] is None:
            return []
        rows = self.recorder.select_events(sid, gt=found[0]["first"] - 1,
                                           lte=found[0]["last"])
        events = [self.event_of(row) for row in rows]
        return [e for e in events if e.command_id == command_id]

    # -- reading --------------------------------------------------------------

    def story(self, slug: str, position: int | None = None) -> Story:
        try:
            story: object = self.repository.get(story_id(slug), version=position)
        except AggregateNotFoundError:
            raise NotFound(f"no story {slug!r}; see `storylog stories`") from None
        assert isinstance(story, Story)
        return story

    def exists(self, slug: str) -> bool:
        return bool(self.recorder.select_events(story_id(slug), lte=1))

    def published(self, slug: str, version: int) -> Story:
        story = self.story(slug)
        if not 1 <= version <= len(story.published):
            have = f"1 to {len(story.published)}" if story.published else "none yet"
            raise NotFound(f"{slug} has no published version {version} (published: {have})")
        return self.story(slug, story.published[version - 1])

    def slugs(self) -> list[str]:
        """Every story's slug, in the order they were opened."""
        return [self.mapper.transcoder.decode(n.state)["payload"]["slug"] for n in self._opened()]

    def _opened(self) -> Iterator[Any]:
        start = 1
        while True:
            rows = self.recorder.select_notifications(start, 1000, topics=[OPENED_TOPIC])
            yield from rows
            if len(rows) < 1000:
                return
            start = rows[-1].id + 1

    def rows(self, slug: str) -> list[StoredEvent]:
        """A story's stored rows, in position order."""
        rows = list(self.recorder.select_events(story_id(slug)))
        if not rows:
            raise NotFound(f"no story {slug!r}; see `storylog stories`")
        return rows

    def event_of(self, row: StoredEvent) -> Story.Event:
        event = self.mapper.to_domain_event(row)
        assert isinstance(event, Story.Event)
        return event


def _check_editor(editor: str) -> None:
    from storylog.domain.values import editor_name

    try:
        if editor_name(editor) != editor:
            raise ValueError(f"the editor name {editor!r} has spaces around it or is not NFC")
    except ValueError as error:
        raise RefusedInput(str(error)) from None


def _new_id() -> str:
    return uuid.uuid4().hex


def _is_startup_race(error: BaseException) -> bool:
    """PostgreSQL refuses concurrent CREATE ... IF NOT EXISTS of the same object."""
    text = str(error)
    return any(s in text for s in ("tuple concurrently updated", "already exists",
                                   "duplicate key value violates unique constraint"))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


CHECKPOINTS_TABLE = ("CREATE TABLE IF NOT EXISTS storylog_checkpoints (seq INTEGER PRIMARY KEY, "
                     "hash TEXT NOT NULL, line TEXT NOT NULL)")


def latest_checkpoint(app: StoryApp) -> dict[str, Any] | None:
    """The newest checkpoint this store signed, as {seq, hash}, for publications."""
    assert app.sql is not None
    app.sql.execute(CHECKPOINTS_TABLE)
    rows = app.sql.fetchall("SELECT seq, hash FROM storylog_checkpoints ORDER BY seq DESC LIMIT 1")
    return {"seq": rows[0]["seq"], "hash": rows[0]["hash"]} if rows else None


# Advice after a failed check must never destroy evidence: a rebuild replaces the copies
# that may be the only local sign of tampering (a deleted last event leaves every chain
# valid; only the read models and snapshots still show it).
KEEP_EVIDENCE = ("copy the database aside first and keep the copy as evidence, then "
                 "compare it with a backup or an export; run `storylog rebuild` only after that")


class Archive:
    """Verifying, exporting and loading whole stories: the store as an archive."""

    def __init__(self, app: StoryApp):
        self.app = app

    def story_ids(self) -> list[UUID | str]:
        """Every chain's id; one that is not a UUID (a damaged row) is kept as its text,
        so that verification names its chain instead of failing on it."""
        assert self.app.sql is not None
        table = getattr(self.app.recorder, "events_table_name", "stored_events")
        rows = self.app.sql.fetchall(
            f"SELECT DISTINCT originator_id FROM {table}"
        )
        return sorted((_uuid_or_text(r["originator_id"]) for r in rows), key=str)

    def chains(self, slug: str | None = None) -> Iterator[tuple[str, list[StoredEvent]]]:
        ids: list[UUID | str] = [story_id(slug)] if slug else self.story_ids()
        for sid in ids:
            rows = self.rows(sid)
            if slug and not rows:
                raise NotFound(f"no story {slug!r}; see `storylog stories`")
            yield _label(rows, sid), rows

    def rows(self, sid: UUID | str) -> list[StoredEvent]:
        """One chain's rows in position order. On SQLite they are read with plain SQL: a
        damaged id (in the row, or one found only in the index) that is not a UUID makes
        the library fail converting it; here it is kept as text, so the chain check
        names the damage instead (PostgreSQL's uuid column cannot hold one)."""
        assert self.app.sql is not None
        if self.app.sql.postgres and isinstance(sid, UUID):
            return list(self.app.recorder.select_events(sid))
        table = getattr(self.app.recorder, "events_table_name", "stored_events")
        found = self.app.sql.fetchall(
            f"SELECT originator_id, originator_version, topic, state FROM {table} "
            "WHERE originator_id = ? ORDER BY originator_version",
            (sid.hex if isinstance(sid, UUID) else sid,))
        return [StoredEvent(originator_id=_uuid_or_text(r["originator_id"]),
                            originator_version=r["originator_version"],
                            topic=r["topic"], state=bytes(r["state"])) for r in found]

    def derived_problems(self) -> list[str]:
        """Copies outside the chain (snapshots, read models) that the events do not give.

        These read the rows back through the application (by index, decoded), so a
        damaged page the chain check read past (an index entry whose story id is no
        longer hex, say) surfaces here as a value that cannot be decoded: that is damage
        to report, not a bug."""
        try:
            return self.snapshot_problems() + self.read_model_problems()
        except (ValueError, KeyError, TypeError) as error:
            return [f"the stored rows cannot be read back whole ({_first_line(error)}): the "
                    f"database file is damaged; {KEEP_EVIDENCE}"]

    def snapshot_problems(self) -> list[str]:
        """Each snapshot must equal the story replayed from its events to that position."""
        problems = []
        assert self.app.snapshots is not None
        for sid in self.story_ids():
            snapshots = {s.originator_version: s for s in
                         self.app.snapshots.recorder.select_events(sid)}
            if not snapshots:
                continue
            story: Any = None
            rows = self.rows(sid)
            for row in rows:
                story = self.app.event_of(row).mutate(story)
                snapshot = snapshots.get(row.originator_version)
                if snapshot is not None and isinstance(story, Story):
                    taken: Any = self.app.snapshots.mapper.to_domain_event(snapshot)
                    if _comparable(taken.mutate(None)) != _comparable(story):
                        problems.append(
                            f"{_label(rows, sid)}: the snapshot at event "
                            f"{row.originator_version} does not match the events (the "
                            f"snapshot or the events were altered); {KEEP_EVIDENCE}")
        return problems

    def read_model_problems(self) -> list[str]:
        """The read models must equal read models rebuilt from the events elsewhere."""
        import tempfile
        from pathlib import Path

        from storylog.store.readmodel.schema import TABLES

        self.app.catch_up()
        # In this store's order, so that the fold meets the source registry's merges
        # between the same stories' events as here.
        lines = [orjson.loads(line) for what, line in self.export() if what == "event"]
        if not lines:
            return []
        with tempfile.TemporaryDirectory() as scratch_dir:
            scratch = StoryApp(str(Path(scratch_dir) / "check.db"))
            try:
                Archive(scratch).load(lines)
                scratch.catch_up()
                problems = []
                for table in TABLES:
                    try:
                        ours = _dump(self.app, table)
                    except UnicodeDecodeError:  # a damaged schema: names not UTF-8
                        problems.append(f"the read model {table} is unreadable (damaged); "
                                        f"{KEEP_EVIDENCE}")
                        continue
                    if ours != _dump(scratch, table):
                        problems.append(
                            f"the read model {table} does not match the events (it was "
                            f"altered, or events were deleted and it is the only trace of "
                            f"them); {KEEP_EVIDENCE}")
                return problems
            finally:
                scratch.close()

    def taken_down_keys(self) -> tuple[frozenset[str], frozenset[str]]:
        """The keys of every taken-down update: (erased, held for auditors)."""
        self.app.catch_up()
        assert self.app.sql is not None
        rows = self.app.sql.fetchall(
            "SELECT story_id, update_id, erased FROM rm_revisions WHERE action = 'taken-down'")
        erased = frozenset(key_id(r["story_id"], r["update_id"]) for r in rows if r["erased"])
        held = frozenset(key_id(r["story_id"], r["update_id"]) for r in rows if not r["erased"])
        return erased, held

    # -- moving a store: export and load ---------------------------------------------

    def export(self, slug: str | None = None, *,
               redacted: bool = False) -> Iterator[tuple[str, bytes]]:
        """A story's events, or (no slug) every chain's events in the order this store
        recorded them and then its record of the checkpoints it signed, as NDJSON lines
        ("event" | "checkpoint" | "header", line). Exact unless ``redacted``: every key
        but an erased update's, so a load gives this store back."""
        from storylog.store.transfer import (
            checkpoint_line,
            event_line,
            redacted_header,
            redacted_line,
        )

        erased, held = self.taken_down_keys()
        erased_at = {k: str(at) for k, secret, at in self.app.keys.rows()
                     if secret is None and k in erased and at} if erased and not redacted else {}
        if redacted:
            yield "header", redacted_header()
        for label, sid, position, topic, state in self._recorded(slug):
            if redacted:
                line = redacted_line(label, sid, position, topic, state, self.app.keys,
                                     erased | held)
            else:
                line = event_line(label, sid, position, topic, state, self.app.keys,
                                  erased=erased, held=held, erased_at=erased_at)
            yield "event", line
        if slug is None and not redacted:
            for row in self._checkpoint_rows():
                yield "checkpoint", checkpoint_line(row["seq"], row["hash"], row["line"])

    def _recorded(self, slug: str | None) -> Iterator[tuple[str, str, int, str, bytes]]:
        """(label, chain id, position, topic, state) of one story's events, or of every
        event in the store's order, read in batches."""
        if slug is not None:
            for label, rows in self.chains(slug):
                for row in rows:
                    yield (label, str(row.originator_id), row.originator_version, row.topic,
                           row.state)
            return
        labels: dict[str, str] = {}
        start = 1
        while batch := self.app.raw_rows(start, 2000):
            for raw in batch:
                if raw.story_id not in labels:
                    labels[raw.story_id] = _export_label(raw)
                yield labels[raw.story_id], raw.story_id, raw.position, raw.topic, raw.state
            start = batch[-1].id + 1

    def _checkpoint_rows(self) -> list[Any]:
        assert self.app.sql is not None
        if not self.recorded_checkpoints():
            return []
        return self.app.sql.fetchall(
            "SELECT seq, hash, line FROM storylog_checkpoints ORDER BY seq")

    def heads(self) -> list[Any]:
        """Every chain's verified head, for a checkpoint; refuses if a chain is broken."""
        from storylog.store.checkpoints import ChainHead
        from storylog.store.verify import check_chain

        heads = []
        for sid in self.story_ids():
            rows = self.rows(sid)
            name = _label(rows, sid)
            report = check_chain(name, rows)
            if not report.ok:
                raise VerificationFailed(f"will not sign a broken chain: {report.problem}")
            heads.append(ChainHead(str(sid), name, report.events, report.head))
        return heads

    def recorded_checkpoints(self) -> dict[int, tuple[str, str]]:
        """The checkpoints this store recorded signing: seq -> (hash, how it is known)."""
        sql = self.app.sql
        assert sql is not None
        exists = sql.fetchall("SELECT to_regclass('storylog_checkpoints') AS t" if sql.postgres
                              else "SELECT name AS t FROM sqlite_master WHERE type = 'table' "
                              "AND name = 'storylog_checkpoints'")
        if not exists or exists[0]["t"] is None:
            return {}  # never signed (and a read creates no table)
        return {r["seq"]: (r["hash"], "the store recorded signing it") for r in
                sql.fetchall("SELECT seq, hash FROM storylog_checkpoints")}

    def checkpoint(self, key: Any, log: Any) -> dict[str, Any]:
        """Sign every chain's head, append it to the log, remember it for publishing.

        Refused when the log lacks a checkpoint the store recorded signing: signing on
        would restart the sequence over history already signed. (Publications' pins are
        not counted here: a story loaded from another newsroom pins checkpoints of a log
        this store never had; `verify --checkpoints` holds a log to them.)"""
        from storylog.store.checkpoints import checkpoint_hash, sign

        recorded = self.recorded_checkpoints()
        line = sign(self.heads(), key, log, recorded)
        assert self.app.sql is not None
        self.app.sql.execute(CHECKPOINTS_TABLE)
        body = line["checkpoint"]
        self.app.sql.execute(
            "INSERT INTO storylog_checkpoints VALUES (?, ?, ?) ON CONFLICT (seq) DO UPDATE "
            "SET hash = excluded.hash, line = excluded.line",
            (body["seq"], checkpoint_hash(body), orjson.dumps(line).decode()))
        return line

    def check_checkpoints(self, lines: list[dict[str, Any]], public: Any,
                          log: Any = "the log") -> list[str]:
        """What is wrong between a checkpoint log, its key and this store: the chains
        must hold what every checkpoint signed, and the log every checkpoint the store
        recorded signing or a publication pins (a truncated log hides nothing)."""
        from storylog.store.checkpoints import check_log, missing_from_log
        from storylog.store.verify import check_chain

        heads: dict[str, dict[int, str]] = {}
        recorded = self.recorded_checkpoints()
        for sid in self.story_ids():
            rows = self.rows(sid)
            heads[str(sid)] = check_chain(str(sid), rows).hashes
            _gather_pins(_label(rows, sid), rows, recorded)
        return check_log(lines, public, heads) + missing_from_log(lines, recorded, log)

    def load(self, lines: list[dict[str, Any]],
             checkpoints: list[dict[str, Any]] | None = None) -> dict[str, int]:
        """Insert a checked file's chains (and the checkpoint records of the store it
        came from), all or nothing, keeping the file's order of events across chains
        (the store's own order, in an export of every story)."""
        from storylog.store.transfer import keys_of, rows_of, tombstones_of

        stories = rows_of(lines)
        keys = keys_of(lines)
        tombstones = tombstones_of(lines)
        for label, rows in stories.items():
            if self.holds(rows[0].originator_id):
                raise RefusedInput(_already_here(label))
        if checkpoints and self.recorded_checkpoints():
            raise RefusedInput("this store has signed checkpoints of its own, and the file "
                               "carries another store's; load it into a fresh store; nothing "
                               "was loaded")
        rows = _in_file_order(lines, stories)
        added = self.app.keys.put_many(keys)
        try:
            self.app.keys.put_rows(tombstones)  # erasures stay erasures, with their time
            added += [key for key, _, _ in tombstones]
            self._put_checkpoints(checkpoints or [])
            self.app.recorder.insert_events(rows)
        except BaseException as error:
            self.app.keys.remove_unused(added)  # the store is left as it was
            self._take_back_checkpoints(checkpoints or [])
            if isinstance(error, IntegrityError):
                raise Conflict("a story in the file was written meanwhile; none loaded") from None
            raise
        return {slug: len(r) for slug, r in stories.items()}

    def holds(self, chain_id: UUID | str) -> bool:
        """Does this store hold a chain (a story, or the source registry) of this id?"""
        return bool(self.app.recorder.select_events(UUID(str(chain_id)), lte=1))

    def _put_checkpoints(self, checkpoints: list[dict[str, Any]]) -> None:
        if not checkpoints:
            return
        assert self.app.sql is not None
        self.app.sql.execute(CHECKPOINTS_TABLE)
        with self.app.sql.transaction() as c:
            c.executemany("INSERT INTO storylog_checkpoints (seq, hash, line) VALUES (?, ?, ?)",
                          [(r["seq"], r["hash"], orjson.dumps(r["signed"]).decode())
                           for r in checkpoints])

    def _take_back_checkpoints(self, checkpoints: list[dict[str, Any]]) -> None:
        if not checkpoints or not self.recorded_checkpoints():
            return
        assert self.app.sql is not None
        with self.app.sql.transaction() as c:
            c.executemany("DELETE FROM storylog_checkpoints WHERE seq = ?",
                          [(r["seq"],) for r in checkpoints])


def _already_here(label: str) -> str:
    from storylog.store.transfer import REGISTRY_LABEL

    if label == REGISTRY_LABEL:
        return ("this store already has a source registry (source merges of its own); a "
                "file with another store's registry loads only into a store without one; "
                "nothing was loaded")
    return f"story {label} is already in this store; nothing was loaded"


def _in_file_order(lines: list[dict[str, Any]],
                   stories: dict[str, list[StoredEvent]]) -> list[StoredEvent]:
    """Every chain's rows in the order the file gives its events (an export gives the
    store's order): the k-th of a chain's rows, by position, takes the place of the
    chain's k-th line in the file, so each chain still goes up one position at a time."""
    places: dict[str, list[int]] = {}
    for place, line in enumerate(lines):
        places.setdefault(line["story"], []).append(place)
    ranked = [(place, row) for label, rows in stories.items()
              for place, row in zip(places[label], rows, strict=True)]
    return [row for _, row in sorted(ranked, key=lambda pair: pair[0])]


def _export_label(row: RawRow) -> str:
    """A chain's label in an export, from its first row read."""
    from storylog.domain.registry import REGISTRY_ID
    from storylog.store.transfer import REGISTRY_LABEL

    if row.story_id == str(REGISTRY_ID):
        return REGISTRY_LABEL
    stored = StoredEvent(originator_id=_uuid_or_text(row.story_id),
                         originator_version=row.position, topic=row.topic, state=row.state)
    return _label([stored], _uuid_or_text(row.story_id)) if row.position == 1 \
        else f"story {row.story_id}"


def _gather_pins(name: str, rows: list[StoredEvent],
                 pins: dict[int, tuple[str, str]]) -> None:
    """Add the checkpoints a chain's publications pin (the first pin of each seq wins)."""
    for row in rows:
        if not row.topic.endswith("VersionPublished"):
            continue
        try:
            payload = orjson.loads(row.state)["payload"]
            ref = payload.get("checkpoint")
            if ref:
                pins.setdefault(int(ref["seq"]), (str(ref["hash"]), (
                    f"published version {payload['version']} of {name} pins it")))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            continue  # a damaged row: the chain check names it
    return


def _uuid_or_text(value: Any) -> UUID | str:
    try:
        return UUID(str(value))
    except ValueError:
        return str(value)


def _uuid_text(value: Any) -> str:
    """The canonical hyphenated form (SQLite stores 32 hex digits, PostgreSQL a uuid)."""
    text = str(value)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def _dump(app: StoryApp, table: str) -> list[tuple[str, ...]]:
    assert app.sql is not None
    rows = app.sql.fetchall(f"SELECT * FROM {table}")
    return sorted(tuple(str(v) for k, v in dict(r).items() if k != "notification_id")
                  for r in rows)


def _comparable(story: Any) -> Any:
    """A story's state with every update's content opened, for comparisons."""
    state = story.to_state()
    for update, name in zip(state["updates"], story.order, strict=True):
        content = story.updates[name].content
        update["content"] = content.model_dump(mode="json") if content else None
        if content is None:
            # Erased: where its parts were last set cannot be known once the content
            # cannot be opened (a snapshot taken before the erasure knew it).
            update["content_at"] = None
    return state


def _label(rows: list[StoredEvent], sid: UUID | str) -> str:
    """A chain's name for reports: its slug, but only if the row naming it is intact."""
    import orjson

    from storylog.store.verify import check_chain

    if not rows or not check_chain(str(sid), rows[:1]).ok:
        return f"story {sid}"  # the first row is tampered: do not trust the name in it
    payload = orjson.loads(rows[0].state)["payload"]
    if payload.get("slug"):
        return str(payload["slug"])
    # An internal aggregate (the source registry): in parentheses, which no slug can hold,
    # so a story named like it (allowed before names were reserved) is never confused.
    return f"(internal: {payload.get('name') or sid})"
