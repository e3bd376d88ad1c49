"""Recompute every story's hash chain and name the first event that breaks it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from eventsourcing.persistence import StoredEvent

from storylog.store.canonical import GENESIS, event_hash


@dataclass
class ChainReport:
    story: str
    events: int
    head: str
    problem: str | None = None
    hashes: dict[int, str] = field(default_factory=dict)  # the verified prefix

    @property
    def ok(self) -> bool:
        return self.problem is None


def _type_name(topic: str) -> str:
    return topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]


def check_chain(story: str, rows: Sequence[StoredEvent],
                records: Sequence[Any] | None = None) -> ChainReport:
    """Check one story's rows, in position order, and describe the first fault.

    ``records`` are the rows' states already decoded (a loaded file has them), so
    they need not be decoded twice."""
    prev, expected = GENESIS, 1
    hashes: dict[int, str] = {}

    def report(problem: str | None = None) -> ChainReport:
        return ChainReport(story, expected - 1, prev, problem, hashes)

    for index, row in enumerate(rows):
        where = f"{story}: event {row.originator_version} ({_type_name(row.topic)})"
        if row.originator_version != expected:
            if row.originator_version > expected:
                fault = (f"event {expected} is missing (positions jump from {expected - 1} "
                         f"to {row.originator_version}): a row was deleted")
            else:
                fault = f"event {row.originator_version} appears twice"
            return report(f"{story}: {fault}")
        record = _decode(row.state) if records is None else records[index]
        if not isinstance(record, dict):
            record = None
        if record is None or not isinstance(record.get("hash"), str):
            return report(f"{where}: the row is unreadable")
        try:
            actual = event_hash(row.topic, str(row.originator_id), row.originator_version,
                                record)
        except ValueError as error:  # RFC 8785 has no form for it (e.g. an integer > 2^53)
            return report(f"{where}: the row holds a value that has no canonical form "
                          f"({error}); storylog never writes one")
        if actual != record["hash"]:
            return report(f"{where}: its content does not match its hash "
                          "(modified, or moved from another position)")
        if record.get("prev") != prev:
            return report(f"{where}: it does not follow event {expected - 1} "
                          "(an event was inserted, deleted or reordered before it)")
        head_fault = _check_published_head(record, prev)
        if head_fault:
            return report(f"{where}: {head_fault}")
        prev, expected = record["hash"], expected + 1
        hashes[row.originator_version] = prev
    return report()


def _check_published_head(record: dict[str, Any], prev: str) -> str | None:
    payload = record.get("payload")
    if not isinstance(payload, dict):
        return None
    head = payload.get("head")
    if head is not None and "version" in payload and head != prev:
        return "the published version pins a head that is not the previous event's hash"
    return None


def _decode(state: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(state)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def check_all(stories: Iterable[tuple[str, Sequence[StoredEvent]]]) -> Iterator[ChainReport]:
    for story, rows in stories:
        yield check_chain(story, rows)
