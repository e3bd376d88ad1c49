"""The source registry: one aggregate for the newsroom's decisions about sources.

A source's identity is its name as normalised by ``source_key`` (case, accents and
punctuation aside) and the default gazetteer's aliases. When two names turn out to
be one source, `storylog source merge` records ``SourcesMerged`` here, so the merge
is itself an auditable, chained event.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate
from pydantic import BaseModel

from storylog.domain.sources import source_key
from storylog.domain.story import STORY_NAMESPACE
from storylog.domain.values import Frozen, RequiredLine
from storylog.errors import RefusedInput

REGISTRY_ID = uuid.uuid5(STORY_NAMESPACE, "source-registry")


class RegistryOpenedPayload(Frozen):
    name: str = "sources"


class SourcesMergedPayload(Frozen):
    source: RequiredLine
    into: RequiredLine
    reason: RequiredLine


class SourceRegistry(Aggregate):
    """Merges of sources, newest last; the read models apply them to citations."""

    class Event(Aggregate.Event):
        editor: str
        command_id: str
        payload: Any
        payload_model: ClassVar[type[BaseModel]]

    class Opened(Event, Aggregate.Created):
        """The registry was created (on the first merge)."""

        payload: RegistryOpenedPayload
        payload_model = RegistryOpenedPayload

    class SourcesMerged(Event):
        """Two source names were found to be one source: ``source`` joins ``into``."""

        payload: SourcesMergedPayload
        payload_model = SourcesMergedPayload

        def apply(self, registry: SourceRegistry) -> None:
            registry.merged[source_key(self.payload.source)] = source_key(self.payload.into)

    def __init__(self, editor: str, command_id: str, payload: RegistryOpenedPayload):
        self.merged: dict[str, str] = {}

    @classmethod
    def create(cls, *, editor: str, command_id: str) -> SourceRegistry:
        return cls._create(
            cls.Opened, id=REGISTRY_ID, editor=editor, command_id=command_id,
            payload=RegistryOpenedPayload(),
        )

    def merge(self, payload: SourcesMergedPayload, *, editor: str, command_id: str) -> None:
        source, into = source_key(payload.source), source_key(payload.into)
        if self.resolve(source) == self.resolve(into):
            raise RefusedInput(f"{payload.source!r} and {payload.into!r} are already one source")
        if self.resolve(into) == source:
            raise RefusedInput(
                f"{payload.into!r} was merged into {payload.source!r}; merge the other way"
            )
        self.trigger_event(
            self.SourcesMerged, editor=editor, command_id=command_id, payload=payload
        )

    def resolve(self, key: str) -> str:
        seen = set()
        while key in self.merged and key not in seen:
            seen.add(key)
            key = self.merged[key]
        return key
