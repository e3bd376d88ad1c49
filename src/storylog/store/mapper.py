"""Mapping events to rows and back: sealing, chaining and upcasting.

A stored event's ``state`` is one JSON object (orjson)::

    {"class_version": 1, "recorded_at": ..., "editor": ..., "command_id": ...,
     "payload": {...}, "sealed": {"key", "nonce", "box"}?, "prev": hex, "hash": hex}

``payload`` is the event's payload without its ``content``; ``sealed`` is that
content encrypted with the update's key. ``hash`` is SHA-256 over the RFC 8785
bytes of everything else plus the event's topic, story id and position, and
``prev`` is the hash of the story's previous event. Old rows are upcast with
the event class's ``upcast_vN_vN+1`` static methods, as eventsourcing does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    EventStore,
    Mapper,
    Recording,
    StoredEvent,
)
from eventsourcing.utils import get_topic, resolve_topic

from storylog.domain.story import Story
from storylog.domain.values import UpdateContent
from storylog.store.canonical import GENESIS, event_hash
from storylog.store.eventlog import refused_as_race
from storylog.store.sealing import KeyStore, key_id
from storylog.store.transcoder import OrjsonTranscoder


class EventMapper(Mapper[UUID]):
    """Turns Story events into chained, sealed rows and back."""

    def __init__(self, keys: KeyStore):
        super().__init__(transcoder=OrjsonTranscoder())
        self.keys = keys

    def to_record(self, event: Story.Event, prev: str) -> dict[str, Any]:
        payload = event.payload.model_dump(mode="json")
        record: dict[str, Any] = {
            "class_version": getattr(type(event), "class_version", 1),
            "recorded_at": event.timestamp.isoformat(),
            "editor": event.editor,
            "command_id": event.command_id,
        }
        content = payload.pop("content", None)
        record["payload"] = payload
        if content is not None:
            story = str(event.originator_id)
            record["sealed"] = self.keys.seal(key_id(story, payload["update_id"]), content)
        record["prev"] = prev
        return record

    def chained(self, event: Story.Event, prev: str) -> StoredEvent:
        record = self.to_record(event, prev)
        topic = get_topic(type(event))
        record["hash"] = event_hash(
            topic, str(event.originator_id), event.originator_version, record
        )
        return StoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=topic,
            state=self.transcoder.encode(record),
        )

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        raise TypeError("Story events are stored through ChainedEventStore.put")

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        record = self.transcoder.decode(stored_event.state)
        return self.from_record(
            stored_event.topic, cast(UUID, _uuid(stored_event.originator_id)),
            stored_event.originator_version, record,
        )

    def from_record(
        self, topic: str, originator_id: UUID, position: int, record: dict[str, Any]
    ) -> Story.Event:
        cls = resolve_topic(topic)
        state = upcast_state(cls, record, self.keys)
        state["payload"] = cls.payload_model.model_validate(
            state["payload"], context={"stored": True}
        )
        state["originator_id"] = originator_id
        state["originator_version"] = position
        state["timestamp"] = datetime.fromisoformat(record["recorded_at"])
        if issubclass(cls, Aggregate.Created):
            # A created event names its aggregate: the class it is nested in.
            state["originator_topic"] = get_topic(resolve_topic(topic.rsplit(".", 1)[0]))
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return cast(Story.Event, event)


def upcast_state(cls: type, record: dict[str, Any], keys: KeyStore) -> dict[str, Any]:
    """A row's event state, content opened, brought up to the class's current version.

    The state is ``{"editor", "command_id", "payload"}``; an ``upcast_vN_vN+1``
    static method on the event class changes it in place, as in eventsourcing.
    """
    payload = dict(record["payload"])
    if "sealed" in record:
        payload["content"] = keys.open(record["sealed"])
    state: dict[str, Any] = {
        "editor": record["editor"],
        "command_id": record["command_id"],
        "payload": payload,
    }
    from_version = record.get("class_version", 1)
    while from_version < getattr(cls, "class_version", 1):
        getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
        from_version += 1
    return state


class ChainedEventStore(EventStore[UUID]):
    """An event store that links each new event to its story's previous one."""

    mapper: EventMapper

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        heads: dict[UUID, str] = {}
        stored = []
        self.mapper.keys.prepare([
            key_id(str(e.originator_id), e.payload.update_id)
            for e in cast(Sequence[Story.Event], domain_events)
            if getattr(e.payload, "content", None) is not None
        ])
        for event in cast(Sequence[Story.Event], domain_events):
            oid = event.originator_id
            if oid not in heads:
                heads[oid] = self.hash_at(oid, event.originator_version - 1)
            row = self.mapper.chained(event, heads[oid])
            heads[oid] = self.mapper.transcoder.decode(row.state)["hash"]
            stored.append(row)
        with refused_as_race():  # a racing writer took a position first
            ids = self.recorder.insert_events(stored, **kwargs) or []
        return [
            Recording(d, _notification(s, n))
            for d, s, n in zip(domain_events, stored, ids, strict=False)
        ]

    def hash_at(self, story: UUID, position: int) -> str:
        """The stored hash of a story's event at ``position`` (GENESIS before 1)."""
        if position < 1:
            return GENESIS
        rows = self.recorder.select_events(story, gt=position - 1, lte=position)
        if not rows:
            return GENESIS
        return str(self.mapper.transcoder.decode(rows[0].state)["hash"])


class ContentFromEvents:
    """An update's content in a story loaded from a snapshot: read back from the
    events that last set each part (at most three rows), only when looked at."""

    __slots__ = ("content_at", "events", "story")

    def __init__(self, story: UUID, content_at: dict[str, int], events: EventStore[UUID]):
        self.story = story
        self.content_at = content_at
        self.events = events

    def open(self) -> UpdateContent | None:
        parts: dict[str, Any] = {}
        for position in sorted(set(self.content_at.values())):
            event = next(iter(self.events.get(self.story, gt=position - 1, lte=position)))
            content = cast(Story.Event, event).payload.content
            if content is None:
                return None  # erased
            for part, at in self.content_at.items():
                if at == position:
                    parts[part] = getattr(content, part)
        return UpdateContent.model_construct(**parts)


class SnapshotMapper(Mapper[UUID]):
    """Snapshots hold ``Story.to_state()``: no update text, only where to find it."""

    def __init__(self, events: EventStore[UUID]):
        super().__init__(transcoder=OrjsonTranscoder())
        self.events = events

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        snapshot = cast(Story.Snapshot, domain_event)
        record = {
            "topic": snapshot.topic,
            "taken_at": snapshot.timestamp.isoformat(),
            "state": snapshot.state,
        }
        return StoredEvent(
            originator_id=snapshot.originator_id,
            originator_version=snapshot.originator_version,
            topic=get_topic(type(snapshot)),
            state=self.transcoder.encode(record),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        record = self.transcoder.decode(stored_event.state)
        state = record["state"]
        story = _uuid(stored_event.originator_id)
        for update in state["updates"]:
            at = update.get("content_at")
            update["content"] = ContentFromEvents(story, at, self.events) if at else None
        cls = resolve_topic(stored_event.topic)
        snapshot = object.__new__(cls)
        object.__setattr__(
            snapshot,
            "__dict__",
            {
                "originator_id": _uuid(stored_event.originator_id),
                "originator_version": stored_event.originator_version,
                "timestamp": datetime.fromisoformat(record["taken_at"]),
                "topic": record["topic"],
                "state": state,
            },
        )
        return cast(DomainEventProtocol[UUID], snapshot)


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _notification(stored: StoredEvent, notification_id: int) -> Any:
    from eventsourcing.persistence import Notification

    return Notification(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
        id=notification_id,
    )
