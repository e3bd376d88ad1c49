"""The source registry: one aggregate for the newsroom's decisions about sources.

A source's identity is its name as normalised by ``source_key`` (case, accents and
punctuation aside) and the default gazetteer's aliases. When two names turn out to
be one source, `storylog source merge` records ``SourcesMerged`` here, so the merge
is itself an auditable, chained event.

Confidentiality belongs to the identity, not to one story's citation: a merge that
would join a name marked confidential (in any story) to another name is refused
unless the editor records the decision (``confidential``) in the merge itself. Such
an identity stays confidential for good, and public outputs never apply its merges.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ConfigDict

from storylog.domain.sources import source_key
from storylog.domain.story import STORY_NAMESPACE
from storylog.domain.values import Frozen, RequiredLine
from storylog.errors import RefusedInput

REGISTRY_ID = uuid.uuid5(STORY_NAMESPACE, "source-registry")


class RegistryOpenedPayload(Frozen):
    name: str = "sources"


class SourcesMergedPayloadV1(Frozen):
    # Class version 1, kept because rows of this shape are stored forever; titled as it
    # was then, so that its schema in events/ stays byte for byte what it was.
    model_config = ConfigDict(**Frozen.model_config, title="SourcesMergedPayload")

    source: RequiredLine
    into: RequiredLine
    reason: RequiredLine


class SourcesMergedPayload(SourcesMergedPayloadV1):
    # The recorded decision to join an identity that includes a confidential name.
    confidential: bool = False


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
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["payload"].setdefault("confidential", False)

        def apply(self, registry: SourceRegistry) -> None:
            source, into = source_key(self.payload.source), source_key(self.payload.into)
            joins_secret = bool(registry.members(source) & registry.secret)
            registry.merged[source] = into
            if self.payload.confidential or joins_secret:
                registry.secret.add(registry.resolve(into))

    def __init__(self, editor: str, command_id: str, payload: RegistryOpenedPayload):
        self.merged: dict[str, str] = {}
        # Final keys of identities joined by a merge recorded as confidential.
        self.secret: set[str] = set()

    @classmethod
    def create(cls, *, editor: str, command_id: str) -> SourceRegistry:
        return cls._create(
            cls.Opened, id=REGISTRY_ID, editor=editor, command_id=command_id,
            payload=RegistryOpenedPayload(),
        )

    def merge(self, payload: SourcesMergedPayload, *, editor: str, command_id: str,
              confidential: Collection[str] = ()) -> None:
        """``confidential``: the keys of names marked confidential in any story (the
        registry cannot read stories' sealed content; the application can)."""
        source, into = source_key(payload.source), source_key(payload.into)
        if self.resolve(source) == self.resolve(into):
            raise RefusedInput(f"{payload.source!r} and {payload.into!r} are already one source")
        if self.resolve(into) == source:
            raise RefusedInput(
                f"{payload.into!r} was merged into {payload.source!r}; merge the other way"
            )
        secret = [name for name, key in ((payload.source, source), (payload.into, into))
                  if self.is_confidential(key, confidential)]
        if secret and not payload.confidential:
            raise RefusedInput(
                f"{secret[0]!r} is a confidential source (or was joined to one): merging would "
                "tie its identity to another name; if that is really meant, give "
                "--confidential-merge (recorded in the log; public pages still keep the two "
                "apart and never show the confidential name)"
            )
        if payload.confidential and not secret:
            raise RefusedInput(
                f"neither {payload.source!r} nor {payload.into!r} is confidential; "
                "drop --confidential-merge"
            )
        self.trigger_event(
            self.SourcesMerged, editor=editor, command_id=command_id, payload=payload
        )

    def members(self, key: str) -> set[str]:
        """Every key that is one source with ``key``."""
        final = self.resolve(key)
        return {k for k in self.merged if self.resolve(k) == final} | {final, key}

    def is_confidential(self, key: str, confidential: Collection[str]) -> bool:
        """Whether the identity of ``key`` holds a confidential name or a confidential merge."""
        members = self.members(key)
        return bool(members & self.secret) or any(k in members for k in confidential)

    def resolve(self, key: str) -> str:
        seen = set()
        while key in self.merged and key not in seen:
            seen.add(key)
            key = self.merged[key]
        return key
