"""The baseline a team would write first: a plain eventsourcing application.

An ``eventsourcing.domain.Aggregate`` with ``@event``-decorated command methods, the
library's default mapper and JSON transcoder, SQLite through ``eventsourcing.sqlite``
with its default settings, no snapshots, no sealing, no hash chain, no read models.
Its events are the same logical events as storylog's (same fields, content in the
clear); ``plain_call`` turns a storylog record (payload with content opened) into the
method call that makes the same event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

# storylog's namespace for story ids (storylog.domain.story.STORY_NAMESPACE), copied so
# that the plain application does not import storylog (its start-up would pay for it).
STORY_NAMESPACE = uuid.UUID("5b0f3c1e-8a4e-4f4e-9d56-3f1d2a7c9e10")


def story_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(STORY_NAMESPACE, slug)


class PlainStory(Aggregate):
    @staticmethod
    def create_id(slug: str) -> uuid.UUID:
        return story_id(slug)

    @event("Opened")
    def __init__(self, slug: str, headline: str, standfirst: str, tz: str, lang: str,
                 editor: str, command_id: str):
        self.slug = slug
        self.headline = headline
        self.standfirst = standfirst
        self.tz = tz
        self.lang = lang
        self.updates: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.versions: list[dict[str, Any]] = []

    @event("UpdateAdded")
    def add_update(self, update_id: str, stamp: str, status: str, key_event: bool,
                   body: str, sources: list[dict[str, Any]], media: list[dict[str, Any]],
                   editor: str, command_id: str) -> None:
        self.updates[update_id] = {
            "id": update_id, "stamp": stamp, "status": status, "key_event": key_event,
            "body": body, "sources": sources, "media": media, "revision": 1,
            "retracted": None, "notes": [], "added_by": editor,
        }
        self.order.append(update_id)

    @event("UpdateEdited")
    def edit_update(self, update_id: str, base_revision: int, kind: str, reason: str,
                    note: str | None, stamp: str | None, status: str | None,
                    key_event: bool | None, body: str | None,
                    sources: list[dict[str, Any]] | None, media: list[dict[str, Any]] | None,
                    flags: list[str], override: str | None, editor: str,
                    command_id: str) -> None:
        u = self.updates[update_id]
        for name, value in (("stamp", stamp), ("status", status), ("key_event", key_event),
                            ("body", body), ("sources", sources), ("media", media)):
            if value is not None:
                u[name] = value
        u["revision"] += 1
        if note:
            u["notes"].append({"kind": kind, "note": note, "by": editor})

    @event("UpdateRetracted")
    def retract_update(self, update_id: str, base_revision: int, reason: str, note: str,
                       editor: str, command_id: str) -> None:
        u = self.updates[update_id]
        u["revision"] += 1
        u["retracted"] = {"note": note, "by": editor}

    @event("VersionPublished")
    def publish(self, version: int, head: str, note: str | None,
                checkpoint: dict[str, Any] | None, editor: str, command_id: str) -> None:
        self.versions.append({"version": version, "position": self.version, "head": head,
                              "note": note, "by": editor})


class PlainApp(Application[uuid.UUID]):
    """No snapshotting, the default mapper and transcoder."""

    def __init__(self, path: str):
        super().__init__(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                              "SQLITE_DBNAME": path})


METHODS = {
    "Opened": "__init__", "UpdateAdded": "add_update", "UpdateEdited": "edit_update",
    "UpdateRetracted": "retract_update", "VersionPublished": "publish",
}


def plain_call(kind: str, payload: dict[str, Any], editor: str,
               command_id: str) -> dict[str, Any]:
    """The keyword arguments of the plain method that makes the same event."""
    p = payload
    who = {"editor": editor, "command_id": command_id}
    if kind == "Opened":
        return {k: p[k] for k in ("slug", "headline", "standfirst", "tz", "lang")} | who
    if kind == "UpdateAdded":
        c = p.get("content") or {}
        return {"update_id": p["update_id"], "stamp": p["stamp"], "status": p["status"],
                "key_event": p["key_event"], "body": c.get("body"),
                "sources": c.get("sources") or [], "media": c.get("media") or []} | who
    if kind == "UpdateEdited":
        c = p.get("content") or {}
        return {"update_id": p["update_id"], "base_revision": p["base_revision"],
                "kind": p["kind"], "reason": p["reason"], "note": p.get("note"),
                "stamp": p.get("stamp"), "status": p.get("status"),
                "key_event": p.get("key_event"), "body": c.get("body"),
                "sources": c.get("sources"), "media": c.get("media"),
                "flags": list(p.get("flags") or []), "override": p.get("override")} | who
    if kind == "UpdateRetracted":
        return {k: p[k] for k in ("update_id", "base_revision", "reason", "note")} | who
    if kind == "VersionPublished":
        return {"version": p["version"], "head": p["head"], "note": p.get("note"),
                "checkpoint": p.get("checkpoint")} | who
    raise ValueError(f"the plain application has no event like {kind}")


def plain_event(kind: str, sid: uuid.UUID, position: int, timestamp: datetime,
                kwargs: dict[str, Any]) -> Any:
    """The plain event object itself (for ingesting rows without running commands)."""
    cls = getattr(PlainStory, kind)
    fields = {"originator_id": sid, "originator_version": position, "timestamp": timestamp}
    if kind == "Opened":
        fields["originator_topic"] = get_topic(PlainStory)
    return cls(**fields, **kwargs)
