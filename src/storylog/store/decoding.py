"""Stored event rows decoded to the Records the read models' folds read.

A row (the library's ``Notification``, or ``eventlog.RawRow`` read with plain SQL) is
resolved to its event class, upcast to the newest schema and its content opened with
the update's key; what is left is a plain record: folding a million of them must cost
little more than reading them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from storylog.store.eventlog import RawRow
from storylog.store.mapper import upcast_state
from storylog.store.sealing import KeyStore


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
