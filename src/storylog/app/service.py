"""StoryApp: the one way into the event log.

The application is built from storylog's own parts (the chained event store, the mapper
that seals update content, the key store), loads and saves stories, answers what a
command id wrote, and keeps the read models caught up. The editors' commands run on it
through ``app.runner``: load, let the aggregate check its rules, save, again after a race.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import EventStore, StoredEvent
from eventsourcing.utils import get_topic

from storylog.app.rerun import same_as_before
from storylog.app.runner import check_editor, new_command_id, retried, saved
from storylog.domain.payloads import StoryOpenedPayload
from storylog.domain.story import Story, story_id
from storylog.errors import NotFound, RefusedInput, StoreUnavailable
from storylog.projections.readmodel import ReadModel
from storylog.store.backends import env_for, is_postgres
from storylog.store.decoding import Decoder
from storylog.store.eventlog import EventLog, holds_events
from storylog.store.keystore import open_keys
from storylog.store.mapper import ChainedEventStore, EventMapper, SnapshotMapper
from storylog.store.readmodel.questions import ReadStore
from storylog.store.sealing import KeyStore, key_id
from storylog.store.sql import Sql, scrub_events_database

STARTUP_RETRIES = 10
OPENED_TOPIC = get_topic(Story.Opened)


class StoryApp(Application[UUID]):
    name = "storylog"
    snapshotting_intervals = {Story: 50}  # noqa: RUF012 - eventsourcing's API
    sql: Sql  # storylog's own statements on the events database (made with the mapper)

    def __init__(self, db: str | Mapping[str, str], keys: str | None = None):
        # eventsourcing's ProjectionRunner constructs applications from an env mapping.
        if not isinstance(db, str):
            keys = db.get("STORYLOG_KEYS") or None
            db = db["STORYLOG_DB"]
        self.db = db
        self.keys_location = keys  # None: the keys are inside the events database
        self._readmodel: ReadModel | None = None
        self._log: EventLog | None = None
        try:
            retried(lambda: Application.__init__(self, env=env_for(db)),
                    lost=_is_startup_race, tries=STARTUP_RETRIES,
                    pause=lambda _: random.uniform(0.01, 0.1))
        except StoreUnavailable:
            raise
        except Exception as error:  # the drivers raise many kinds
            raise StoreUnavailable(f"cannot open {db}: {first_line(error)}") from None

    # -- construction: storylog's own mapper, keys and chained store ----------

    def construct_mapper(self) -> EventMapper:
        datastore = cast(Any, self.factory).datastore  # both backends have one
        self.sql = Sql(datastore, postgres=is_postgres(self.db))
        fresh = not holds_events(self.sql)  # (the recorder is not made at this point)
        self.keys: KeyStore = open_keys(self.sql, self.keys_location, fresh=fresh)
        return EventMapper(self.keys)

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
    def event_log(self) -> EventLog:
        """The event log read in recorded order, every chain, a damaged chain."""
        if self._log is None:
            self._log = EventLog(self.sql, self.recorder)
        return self._log

    @property
    def chain(self) -> ChainedEventStore:
        assert isinstance(self.events, ChainedEventStore)
        return self.events

    # -- the read models and erasure --------------------------------------------

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
        scrub_events_database(self.db, keys_inside=not self.keys.apart)
        self.keys.scrub()

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Bring the read models up to the newest event (pull-based, any backend)."""
        applied = self.readmodel.catch_up(self.event_log.raw_rows, Decoder(self.keys), progress)
        self._finish_erasures()
        if self.readmodel.needs_rederive():
            # Keys destroyed: sources first seen in erased content get what a rebuild
            # would give them (it cannot see that content).
            self.readmodel.rederive_sources(self.event_log.raw_rows, Decoder(self.keys))
        return applied

    def _finish_erasures(self) -> int:
        """Destroy any key an erasure left behind (a crash after the read models saw it);
        returns how many."""
        finished = 0
        for story, update_id, erased in ReadStore(self.sql).takedowns_everywhere():
            if erased and self.keys.get(key_id(story, update_id)) is not None:
                self._destroy_key(story, update_id)
                finished += 1
        return finished

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drop the read models and fold every event again."""
        return self.readmodel.rebuild(self.event_log.raw_rows, Decoder(self.keys), progress)

    # -- opening a story, and what a command id wrote ------------------------------

    def open_story(
        self, payload: StoryOpenedPayload, *, editor: str, command_id: str = ""
    ) -> Story:
        check_editor(editor)
        cid = command_id or new_command_id()

        def attempt() -> tuple[Story | None, Story]:
            if not self.exists(payload.slug):
                story = Story.open(payload, editor=editor, command_id=cid)
                return story, story
            earlier = self.recorded(payload.slug, command_id)
            if not earlier:
                raise RefusedInput(f"story {payload.slug} already exists; choose another slug")
            # A re-run: it opened this story already, if it was the same.
            same_as_before(payload.slug, command_id, earlier, Story.Opened, payload)
            return None, self.story(payload.slug)

        return saved(self, attempt, too_fast=f"{payload.slug} is being opened meanwhile; "
                     "try again")

    def written_by(self, slug: str, command_id: str) -> tuple[int, int] | None:
        """The first and last position a command id wrote into a story, if any (asked
        of the read models, which remember every command id the story forgot)."""
        self.catch_up()
        return ReadStore(self.sql).command_positions(str(story_id(slug)), command_id)

    def recorded(self, slug: str, command_id: str) -> list[Story.Event]:
        """The events a command id wrote into a story, in order (several for an import),
        so that a re-run can be compared with what it did then."""
        if not command_id or not self.exists(slug):
            return []
        found = self.written_by(slug, command_id)
        if found is None:
            return []
        rows = self.recorder.select_events(story_id(slug), gt=found[0] - 1, lte=found[1])
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

    def story_rows(self, slug: str) -> list[StoredEvent]:
        """A story's stored rows (sealed, as hashed), in position order."""
        rows = list(self.recorder.select_events(story_id(slug)))
        if not rows:
            raise NotFound(f"no story {slug!r}; see `storylog stories`")
        return rows

    def event_of(self, row: StoredEvent) -> Story.Event:
        event = self.mapper.to_domain_event(row)
        assert isinstance(event, Story.Event)
        return event


def _is_startup_race(error: Exception) -> bool:
    """PostgreSQL refuses concurrent CREATE ... IF NOT EXISTS of the same object."""
    if isinstance(error, StoreUnavailable):
        return False
    text = str(error)
    return any(s in text for s in ("tuple concurrently updated", "already exists",
                                   "duplicate key value violates unique constraint"))


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__

