"""The Story aggregate: one live story, folded from its events. No I/O here.

Commands (``add_update``, ``edit_update``, ...) check the rules and trigger an
event; each event's ``apply`` changes the state. The same ``apply`` runs when
a story is rebuilt from the store, so the rules live in the commands only.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, cast

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from storylog.domain.payloads import (
    CheckpointRef,
    CorrectionReviewedPayload,
    StoryDetailsChangedPayload,
    StoryOpenedPayload,
    UpdateAddedPayload,
    UpdateEditedPayload,
    UpdateRetractedPayload,
    UpdateTakenDownPayload,
    VersionPublishedPayload,
)
from storylog.domain.values import (
    ChangeKind,
    ContentChange,
    Status,
    UpdateContent,
    stamp_problem,
)
from storylog.errors import Conflict, NotFound, RefusedInput

STORY_NAMESPACE = uuid.UUID("5b0f3c1e-8a4e-4f4e-9d56-3f1d2a7c9e10")


def story_id(slug: str) -> uuid.UUID:
    """A story's id is derived from its slug, so a slug names one story everywhere."""
    return uuid.uuid5(STORY_NAMESPACE, slug)


class SealedContent(Protocol):
    """Content read back from a snapshot, opened only when someone looks at it."""

    def open(self) -> UpdateContent | None: ...


@dataclass
class Revision:
    """One thing that happened to an update, for conflicts, logs and audits."""

    revision: int
    action: str  # "added", a ChangeKind value, or "retracted"
    editor: str
    at: str
    position: int
    note: str | None = None
    command_id: str = ""


REVIEWABLE = {"clarification", "correction", "editors-note", "retracted", "taken-down"}
RECENT_COMMANDS = 1000


@dataclass
class UpdateState:
    """What the rules need about one update; kept small, so that a story's size, not
    the length of its history, sets the cost of loading it (the full history is in the
    events and the read models)."""

    id: str
    stamp: str
    status: Status
    key_event: bool
    sealed: UpdateContent | SealedContent | None
    added: Revision
    revision: int = 1
    retracted: dict[str, str] | None = None
    taken_down: dict[str, str] | None = None
    reviewed: list[int] = field(default_factory=list)
    last_change: Revision | None = None
    notes: list[Revision] = field(default_factory=list)  # changes with a public note
    reviewable: list[int] = field(default_factory=list)  # revisions the desk signs off
    # Where each part of the content was last set (event positions): snapshots keep
    # these references instead of the text, and the text is read back when needed.
    content_at: dict[str, int] = field(default_factory=dict)
    @property
    def content(self) -> UpdateContent | None:
        """The body, sources and media, or None once erased."""
        if self.sealed is None or isinstance(self.sealed, UpdateContent):
            return self.sealed
        self.sealed = self.sealed.open()
        return self.sealed

    @property
    def last(self) -> Revision:
        return self.last_change or self.added

    def record(self, change: Revision, *, flagged: bool = False) -> None:
        self.last_change = change
        if change.note and change.action not in ("retracted", "taken-down"):
            self.notes.append(change)
        if change.action in REVIEWABLE or flagged:
            self.reviewable.append(change.revision)


class Story(Aggregate):
    """A live story. ``position`` of an event is its version in the story."""

    class Event(Aggregate.Event):
        editor: str
        command_id: str
        payload: Any
        payload_model: ClassVar[type[BaseModel]]

        @property
        def recorded_at(self) -> str:
            """The recorded time as fixed-width UTC text (text order is time order)."""
            return self.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    class Opened(Event, Aggregate.Created):
        """A story was opened: slug, headline, standfirst, the newsroom's zone and language."""

        payload: StoryOpenedPayload
        payload_model = StoryOpenedPayload

    class DetailsChanged(Event):
        """The story's headline or standfirst changed."""

        payload: StoryDetailsChangedPayload
        payload_model = StoryDetailsChangedPayload

        def apply(self, story: Story) -> None:
            story.headline = self.payload.headline or story.headline
            if self.payload.standfirst is not None:
                story.standfirst = self.payload.standfirst
            story.remember(self.command_id, "", 0)

    class UpdateAdded(Event):
        """An update was added: id, the stamp readers see, status, key event, sealed content."""

        payload: UpdateAddedPayload
        payload_model = UpdateAddedPayload

        def apply(self, story: Story) -> None:
            p = self.payload
            added = Revision(1, "added", self.editor, self.recorded_at,
                             self.originator_version, None, self.command_id)
            story.updates[p.update_id] = UpdateState(
                p.update_id, p.stamp, p.status, p.key_event, p.content, added,
                content_at=dict.fromkeys(("body", "sources", "media"),
                                         self.originator_version))
            story.order.append(p.update_id)
            story.remember(self.command_id, p.update_id, 1)

    class UpdateEdited(Event):
        """An update was changed, based on the revision the editor saw; only changes are present."""

        payload: UpdateEditedPayload
        payload_model = UpdateEditedPayload
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["payload"].setdefault("flags", [])
            state["payload"].setdefault("override", None)

        def apply(self, story: Story) -> None:
            p = self.payload
            update = story.updates[p.update_id]
            update.stamp = p.stamp or update.stamp
            update.status = p.status or update.status
            if p.key_event is not None:
                update.key_event = p.key_event
            update.sealed = _changed_content(update.content, p.content)
            if p.content is not None:
                for part in ("body", "sources", "media"):
                    if getattr(p.content, part) is not None:
                        update.content_at[part] = self.originator_version
            update.revision += 1
            update.record(
                Revision(update.revision, p.kind.value, self.editor, self.recorded_at,
                         self.originator_version, p.note, self.command_id),
                flagged=bool(p.flags),
            )
            story.remember(self.command_id, p.update_id, update.revision)

    class UpdateRetracted(Event):
        """An update was withdrawn; it stays in the log and in history, with a public notice."""

        payload: UpdateRetractedPayload
        payload_model = UpdateRetractedPayload

        def apply(self, story: Story) -> None:
            p = self.payload
            update = story.updates[p.update_id]
            update.revision += 1
            update.retracted = {"note": p.note, "at": self.recorded_at, "by": self.editor}
            update.record(Revision(update.revision, "retracted", self.editor,
                                   self.recorded_at, self.originator_version, p.note,
                                   self.command_id))
            story.remember(self.command_id, p.update_id, update.revision)

    class VersionPublished(Event):
        """A version was published for readers, pinning the hash of the story's previous event."""

        payload: VersionPublishedPayload
        payload_model = VersionPublishedPayload
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["payload"].setdefault("checkpoint", None)

        def apply(self, story: Story) -> None:
            story.published.append(self.originator_version)
            story.remember(self.command_id, "", self.payload.version)

    class UpdateTakenDown(Event):
        """An update was taken down (legal, source safety, ...): it leaves every public
        and ordinary view; for source safety its content is destroyed for good."""

        payload: UpdateTakenDownPayload
        payload_model = UpdateTakenDownPayload

        def apply(self, story: Story) -> None:
            p = self.payload
            update = story.updates[p.update_id]
            update.revision += 1
            update.taken_down = {"grounds": p.grounds.value, "at": self.recorded_at,
                                 "by": self.editor}
            if p.erase:
                update.sealed = None
                update.content_at = {}
            update.record(Revision(update.revision, "taken-down", self.editor,
                                   self.recorded_at, self.originator_version, None,
                                   self.command_id))
            story.remember(self.command_id, p.update_id, update.revision)

    class CorrectionReviewed(Event):
        """The standards desk reviewed one revision of an update (sign-off)."""

        payload: CorrectionReviewedPayload
        payload_model = CorrectionReviewedPayload

        def apply(self, story: Story) -> None:
            story.updates[self.payload.update_id].reviewed.append(self.payload.revision)
            story.remember(self.command_id, self.payload.update_id, self.payload.revision)

    class Snapshot(BaseSnapshot):
        """A snapshot holds ``Story.to_state()``; the store seals each update's content."""

        @classmethod
        def take(cls, aggregate: Any) -> Story.Snapshot:
            story = cast(Story, aggregate)
            return cls(
                originator_id=story.id,
                originator_version=story.version,
                timestamp=cls.create_timestamp(),
                topic=get_topic(type(story)),
                state=story.to_state(),
            )

        def mutate(self, _: None) -> Story:
            story_cls = cast(type[Story], resolve_topic(self.topic))
            return story_cls.from_state(
                self.originator_id, self.originator_version, self.timestamp,
                dict(self.state),
            )

    # -- state --------------------------------------------------------------

    def __init__(self, editor: str, command_id: str, payload: StoryOpenedPayload):
        self.slug = payload.slug
        self.headline = payload.headline
        self.standfirst = payload.standfirst
        self.tz = payload.tz
        self.lang = payload.lang
        self.opened_by = editor
        self.updates: dict[str, UpdateState] = {}
        self.order: list[str] = []
        # The position of each published version, oldest first: all the rules need of
        # them (who published, notes, heads and checkpoints are in the events and the
        # read models; keeping them here made snapshots grow with the history).
        self.published: list[int] = []
        self.recent: dict[str, tuple[str, int]] = {}

    @classmethod
    def open(
        cls, payload: StoryOpenedPayload, *, editor: str, command_id: str
    ) -> Story:
        return cls._create(
            cls.Opened, id=story_id(payload.slug),
            editor=editor, command_id=command_id, payload=payload,
        )

    # -- commands -----------------------------------------------------------

    def add_update(
        self, payload: UpdateAddedPayload, *, editor: str, command_id: str
    ) -> None:
        if payload.update_id in self.updates:
            raise RefusedInput(
                f"update id {payload.update_id!r} is already used in {self.slug}; "
                "choose another --id or leave it out"
            )
        self._refuse_missing_time(payload.stamp)
        self.trigger_event(
            self.UpdateAdded, editor=editor, command_id=command_id, payload=payload
        )

    def edit_update(
        self, payload: UpdateEditedPayload, *, editor: str, command_id: str
    ) -> None:
        update = self._based_on(payload.update_id, payload.base_revision, "edit")
        if payload.stamp is not None:
            self._refuse_missing_time(payload.stamp)
        if not self._edit_changes_something(update, payload):
            raise RefusedInput(
                f"the edit to {payload.update_id} changes nothing; "
                "give new --text, --source, --status, --stamp or --key-event"
            )
        findings = self.stealth_findings(update, payload)
        if findings and self.first_published(update) and not payload.override:
            raise RefusedInput(
                f"a copy edit must not change facts, and {payload.update_id} is published: "
                f"this one changes {'; '.join(findings)}. Re-file it as a correction or "
                "clarification with a public --note, or pass --override REASON"
            )
        flags = tuple(f.split(":", 1)[0] for f in findings)
        self.trigger_event(
            self.UpdateEdited, editor=editor, command_id=command_id,
            payload=payload.model_copy(update={"flags": flags}),
        )

    def _refuse_missing_time(self, stamp: str) -> None:
        problem = stamp_problem(stamp, self.tz)
        if problem and problem[0] == "gap":
            raise RefusedInput(problem[1])

    def takedown_update(
        self, payload: UpdateTakenDownPayload, *, editor: str, command_id: str
    ) -> None:
        update = self.update(payload.update_id)
        if update.taken_down is not None:
            raise RefusedInput(f"update {payload.update_id} was already taken down")
        self.trigger_event(
            self.UpdateTakenDown, editor=editor, command_id=command_id, payload=payload
        )

    def review(
        self, payload: CorrectionReviewedPayload, *, editor: str, command_id: str
    ) -> None:
        update = self.update(payload.update_id)
        if payload.revision not in update.reviewable:
            raise RefusedInput(
                f"revision {payload.revision} of {payload.update_id} is not a change to "
                "review; see `storylog corrections --unreviewed`"
            )
        if payload.revision in update.reviewed:
            raise RefusedInput(f"revision {payload.revision} of {payload.update_id} "
                               "was already reviewed")
        self.trigger_event(
            self.CorrectionReviewed, editor=editor, command_id=command_id, payload=payload
        )

    def first_published(self, update: UpdateState) -> int | None:
        """The number of the first published version that showed this update."""
        index = bisect.bisect_left(self.published, update.added.position)
        return index + 1 if index < len(self.published) else None

    @staticmethod
    def stealth_findings(update: UpdateState, p: UpdateEditedPayload) -> list[str]:
        """For a copy edit: every factual change it makes (see ``domain.stealth``)."""
        old = update.content
        if p.kind is not ChangeKind.COPY_EDIT or p.content is None or old is None:
            return []
        # Imported here: its patterns take a few ms to compile, and only copy edits need them.
        from storylog.domain.stealth import source_findings, text_findings

        findings = []
        if p.content.body is not None:
            findings += text_findings(old.body, p.content.body)
        if p.content.sources is not None:
            findings += source_findings(old.sources, p.content.sources)
        return findings

    def retract_update(
        self, payload: UpdateRetractedPayload, *, editor: str, command_id: str
    ) -> None:
        self._based_on(payload.update_id, payload.base_revision, "retract")
        self.trigger_event(
            self.UpdateRetracted, editor=editor, command_id=command_id, payload=payload
        )

    def change_details(
        self, payload: StoryDetailsChangedPayload, *, editor: str, command_id: str
    ) -> None:
        if (payload.headline in (None, self.headline)) and (
            payload.standfirst in (None, self.standfirst)
        ):
            raise RefusedInput("the headline and standfirst are already as given")
        self.trigger_event(
            self.DetailsChanged, editor=editor, command_id=command_id, payload=payload
        )

    def publish(
        self, *, head: str, note: str | None, editor: str, command_id: str,
        base_position: int | None = None, checkpoint: CheckpointRef | None = None,
    ) -> int:
        if base_position is not None and base_position != self.version:
            raise Conflict(self._moved_on_since(base_position))
        if not self.order:
            raise RefusedInput(f"{self.slug} has no updates yet; add one before publishing")
        if self.published and self.published[-1] == self.version:
            raise RefusedInput(
                f"nothing changed since version {len(self.published)}; "
                "there is nothing new to publish"
            )
        number = len(self.published) + 1
        payload = VersionPublishedPayload(
            version=number, head=head, note=note, checkpoint=checkpoint
        )
        self.trigger_event(
            self.VersionPublished, editor=editor, command_id=command_id, payload=payload
        )
        return number

    # -- rules --------------------------------------------------------------

    def remember(self, command_id: str, update_id: str, number: int) -> None:
        """Keep what the most recent commands did, so a re-run does not write twice."""
        if not command_id:
            return
        self.recent[command_id] = (update_id, number)
        while len(self.recent) > RECENT_COMMANDS:
            self.recent.pop(next(iter(self.recent)))

    def done_by(self, command_id: str) -> tuple[str, int] | None:
        """(update id, revision) or ("", version) of a recent command with this id."""
        return self.recent.get(command_id) if command_id else None

    def next_update_id(self) -> str:
        number = len(self.order) + 1
        while f"u{number}" in self.updates:
            number += 1
        return f"u{number}"

    def update(self, update_id: str) -> UpdateState:
        try:
            return self.updates[update_id]
        except KeyError:
            raise NotFound(f"{self.slug} has no update {update_id!r}") from None

    def _based_on(self, update_id: str, base_revision: int, verb: str) -> UpdateState:
        update = self.update(update_id)
        if update.taken_down is not None:
            raise RefusedInput(
                f"update {update_id} was taken down on {self.local(update.taken_down['at'])}; "
                f"it cannot be changed ({verb} refused)"
            )
        if update.retracted is not None:
            raise RefusedInput(
                f"update {update_id} was retracted on {self.local(update.retracted['at'])}; "
                f"a retracted update cannot be changed ({verb} refused)"
            )
        if base_revision != update.revision:
            last = update.last
            what = {"added": "added it", "retracted": "retracted it",
                    "taken-down": "took it down"}.get(last.action, f"made a {last.action}")
            raise Conflict(
                f"update {update_id} is at revision {update.revision}, not "
                f"{base_revision}: {last.editor} {what} on {self.local(last.at)}; "
                f"look at it again (storylog show {self.slug}) and redo your {verb}"
            )
        return update

    def local(self, recorded_at: str) -> str:
        """A recorded UTC time as an editor reads it: in the story's zone, to the minute."""
        from zoneinfo import ZoneInfo

        moment = datetime.fromisoformat(recorded_at).astimezone(ZoneInfo(self.tz))
        zone = moment.tzname() or self.tz
        return f"{moment:%Y-%m-%d %H:%M} {zone}" + (f" ({self.tz})" if zone != self.tz else "")

    def _moved_on_since(self, base_position: int) -> str:
        return (
            f"{self.slug} moved on since position {base_position} "
            f"(now {self.version}); review the new changes "
            f"(storylog log {self.slug}) before publishing"
        )

    @staticmethod
    def _edit_changes_something(update: UpdateState, p: UpdateEditedPayload) -> bool:
        old = update.content
        change = p.content or ContentChange()
        return any(
            (
                p.stamp not in (None, update.stamp),
                p.status not in (None, update.status),
                p.key_event not in (None, update.key_event),
                old is not None and change.body not in (None, old.body),
                old is not None and change.sources not in (None, old.sources),
                old is not None and change.media not in (None, old.media),
            )
        )

    # -- snapshots ------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "headline": self.headline,
            "standfirst": self.standfirst,
            "tz": self.tz,
            "lang": self.lang,
            "opened_by": self.opened_by,
            "created_on": self.created_on.isoformat(),
            "updates": [_update_state(self.updates[uid]) for uid in self.order],
            "published": self.published,
            "recent": [[k, *v] for k, v in self.recent.items()],
        }

    @classmethod
    def from_state(
        cls, id: uuid.UUID, version: int, modified: datetime, state: dict[str, Any]
    ) -> Story:
        story = object.__new__(cls)
        story.__base_init__(id, version, datetime.fromisoformat(state["created_on"]))
        story._modified_on = modified
        story.slug, story.headline = state["slug"], state["headline"]
        story.standfirst, story.tz = state["standfirst"], state["tz"]
        story.lang, story.opened_by = state["lang"], state["opened_by"]
        story.updates = {}
        story.order = []
        for u in state["updates"]:
            story.updates[u["id"]] = _update_from_state(u)
            story.order.append(u["id"])
        if "published" in state:
            story.published = list(state["published"])
        else:  # snapshots stored before 2026-11-26 kept every version's details
            story.published = [v["position"] for v in state["versions"]]
        story.recent = {k: (uid, n) for k, uid, n in state.get("recent", [])}
        return story


def _update_state(update: UpdateState) -> dict[str, Any]:
    return {
        "id": update.id,
        "stamp": update.stamp,
        "status": update.status.value,
        "key_event": update.key_event,
        "content_at": update.content_at,
        "revision": update.revision,
        "retracted": update.retracted,
        "added": vars(update.added),
        "last_change": vars(update.last_change) if update.last_change else None,
        "notes": [vars(r) for r in update.notes],
        "reviewable": update.reviewable,
        "taken_down": update.taken_down,
        "reviewed": update.reviewed,
    }


def _update_from_state(u: dict[str, Any]) -> UpdateState:
    return UpdateState(
        id=u["id"], stamp=u["stamp"], status=Status(u["status"]), key_event=u["key_event"],
        sealed=u.get("content"), added=Revision(**u["added"]), revision=u["revision"],
        content_at=dict(u.get("content_at") or {}),
        retracted=u["retracted"], taken_down=u.get("taken_down"),
        reviewed=list(u.get("reviewed", [])),
        last_change=Revision(**u["last_change"]) if u.get("last_change") else None,
        notes=[Revision(**r) for r in u.get("notes", [])],
        reviewable=list(u.get("reviewable", [])),
    )


def _changed_content(
    old: UpdateContent | None, change: ContentChange | None
) -> UpdateContent | None:
    if change is None or change.is_empty():
        return old
    if old is None:  # erased: the change itself was erased with it
        return None
    return UpdateContent.model_construct(
        body=change.body if change.body is not None else old.body,
        sources=change.sources if change.sources is not None else old.sources,
        media=change.media if change.media is not None else old.media,
    )
