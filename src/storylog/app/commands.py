"""The editors' commands: build a validated payload and run it on the latest story.

Each command is a closure run by ``StoryApp.change``, so that after a race it
is rebuilt and re-checked against the story as it now is. A command whose
``command_id`` was already applied returns what it did then and writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from storylog.app.rerun import different_change, same_as_before
from storylog.app.service import StoryApp
from storylog.domain.payloads import (
    StoryDetailsChangedPayload,
    UpdateAddedPayload,
    UpdateEditedPayload,
    UpdateRetractedPayload,
    VersionPublishedPayload,
)
from storylog.domain.story import Story
from storylog.domain.values import ChangeKind, ContentChange, Status, UpdateContent


def _same_as_before(app: StoryApp, slug: str, cid: str, kind: type, payload: Any,
                    ignore: set[str] | None = None) -> None:
    """A re-run of ``cid`` must ask for the change it made then (see ``app.rerun``)."""
    same_as_before(slug, cid, app.recorded(slug, cid), kind, payload, ignore=ignore or ())


def _same_update(app: StoryApp, slug: str, cid: str, done: tuple[str, int] | None,
                 update_id: str) -> None:
    """A re-run of ``cid`` must be about the update it changed then."""
    if done is not None and done[0] != update_id:
        earlier = app.recorded(slug, cid)
        raise different_change(slug, cid, earlier[0].originator_version if earlier else 0,
                               f"it changed {done[0] or 'the story'}, not {update_id}")


def now_stamp(story: Story) -> str:
    return datetime.now(ZoneInfo(story.tz)).strftime("%Y-%m-%d %H:%M")


def add_update(
    app: StoryApp, slug: str, *, body: str, update_id: str | None = None,
    stamp: str | None = None, sources: list[dict[str, Any]] | None = None,
    status: str = "unverified", key_event: bool = False,
    media: list[dict[str, Any]] | None = None, editor: str, command_id: str = "",
) -> str:
    content = UpdateContent.model_validate(
        {"body": body, "sources": sources or [], "media": media or []}
    )

    def add(story: Story, cid: str) -> str:
        done = story.done_by(cid)
        payload = UpdateAddedPayload(
            update_id=update_id or (done[0] if done and done[0] else story.next_update_id()),
            stamp=stamp or now_stamp(story), status=Status(status), key_event=key_event,
            content=content,
        )
        if done is not None:
            erased = done[0] in story.updates and story.updates[done[0]].content is None
            ignore = {"stamp"} if stamp is None else set()
            _same_as_before(app, slug, cid, Story.UpdateAdded, payload,
                            ignore | ({"content"} if erased else set()))
            return done[0]
        story.add_update(payload, editor=editor, command_id=cid)
        return payload.update_id

    return app.change(slug, editor, add, command_id)


def edit_update(
    app: StoryApp, slug: str, update_id: str, *, kind: str, reason: str,
    note: str | None = None, body: str | None = None,
    sources: list[dict[str, Any]] | None = None, status: str | None = None,
    stamp: str | None = None, key_event: bool | None = None,
    media: list[dict[str, Any]] | None = None, base_revision: int | None = None,
    override: str | None = None, editor: str, command_id: str = "",
) -> int:
    change = ContentChange.model_validate(
        {"body": body, "sources": sources, "media": media}
    )
    seen: list[int] = []

    def edit(story: Story, cid: str) -> int:
        done = story.done_by(cid)
        _same_update(app, slug, cid, done, update_id)
        # Based on what the editor saw: the revision given, or the first one loaded.
        seen.append(story.update(update_id).revision)
        payload = UpdateEditedPayload(
            update_id=update_id, base_revision=base_revision or seen[0], kind=ChangeKind(kind),
            reason=reason, note=note, stamp=stamp, status=Status(status) if status else None,
            key_event=key_event, override=override,
            content=None if change.is_empty() else change,
        )
        if done is not None:
            erased = story.updates[update_id].content is None
            # The base revision is what the editor saw, not part of the change asked.
            _same_as_before(app, slug, cid, Story.UpdateEdited, payload,
                            {"flags", "base_revision"} | ({"content"} if erased else set()))
            return done[1]
        story.edit_update(payload, editor=editor, command_id=cid)
        return story.updates[update_id].revision

    return app.change(slug, editor, edit, command_id)


def retract_update(
    app: StoryApp, slug: str, update_id: str, *, reason: str, note: str,
    base_revision: int | None = None, editor: str, command_id: str = "",
) -> int:
    seen: list[int] = []

    def retract(story: Story, cid: str) -> int:
        done = story.done_by(cid)
        _same_update(app, slug, cid, done, update_id)
        seen.append(story.update(update_id).revision)
        payload = UpdateRetractedPayload(
            update_id=update_id, base_revision=base_revision or seen[0],
            reason=reason, note=note,
        )
        if done is not None:
            _same_as_before(app, slug, cid, Story.UpdateRetracted, payload, {"base_revision"})
            return done[1]
        story.retract_update(payload, editor=editor, command_id=cid)
        return story.updates[update_id].revision

    return app.change(slug, editor, retract, command_id)


def change_details(
    app: StoryApp, slug: str, payload: StoryDetailsChangedPayload, *, editor: str,
    command_id: str = "",
) -> None:
    def change(story: Story, cid: str) -> None:
        if story.done_by(cid) is None:
            story.change_details(payload, editor=editor, command_id=cid)
        else:
            _same_as_before(app, slug, cid, Story.DetailsChanged, payload)

    app.change(slug, editor, change, command_id)


def publish(
    app: StoryApp, slug: str, *, editor: str, note: str | None = None,
    base_position: int | None = None, command_id: str = "",
) -> int:
    from storylog.app.service import latest_checkpoint
    from storylog.domain.payloads import CheckpointRef

    seen: list[int] = []
    latest = latest_checkpoint(app)
    checkpoint = CheckpointRef(**latest) if latest else None

    def publish(story: Story, cid: str) -> int:
        done = story.done_by(cid)
        if done is not None:
            asked = VersionPublishedPayload(version=done[1], head="0" * 64, note=note)
            _same_as_before(app, slug, cid, Story.VersionPublished, asked,
                            {"version", "head", "checkpoint"})
            return done[1]
        seen.append(story.version)  # the editor published what they saw first
        return story.publish(
            head=app.chain.hash_at(story.id, story.version), note=note, editor=editor,
            command_id=cid, checkpoint=checkpoint,
            base_position=base_position if base_position is not None else seen[0],
        )

    return app.change(slug, editor, publish, command_id)


def merge_sources(
    app: StoryApp, source: str, into: str, *, reason: str, editor: str, command_id: str = "",
    confidential_merge: bool = False, confidential: Collection[str] = (),
) -> None:
    """Record that ``source`` and ``into`` are one source (an event in the registry).

    ``confidential``: keys of the names marked confidential in any story; joining one
    needs ``confidential_merge``, the editor's decision, which the event records."""
    from eventsourcing.application import AggregateNotFoundError
    from eventsourcing.persistence import IntegrityError

    from storylog.domain.registry import REGISTRY_ID, SourceRegistry, SourcesMergedPayload
    from storylog.errors import Conflict

    payload = SourcesMergedPayload(source=source, into=into, reason=reason,
                                   confidential=confidential_merge)
    for _ in range(20):
        try:
            registry: object = app.repository.get(REGISTRY_ID)
        except AggregateNotFoundError:
            registry = SourceRegistry.create(editor=editor, command_id=command_id or "registry")
        assert isinstance(registry, SourceRegistry)
        registry.merge(payload, editor=editor, command_id=command_id or "merge",
                       confidential=confidential)
        try:
            app.save(registry)
            return
        except IntegrityError:
            continue
    raise Conflict("the source registry is changing too fast; try again")


def takedown_update(
    app: StoryApp, slug: str, update_id: str, *, grounds: str, reason: str, editor: str,
    command_id: str = "",
) -> bool:
    """Take an update down; on source-safety grounds, destroy its content for good.

    Returns whether content was erased. The event is saved first; then the key is
    destroyed and the read models purged. If the process dies in between, the next
    catch-up finishes the erasure (the fold of the event destroys the key too).
    """
    from storylog.domain.payloads import TakedownGrounds, UpdateTakenDownPayload

    chosen = TakedownGrounds(grounds)
    payload = UpdateTakenDownPayload(
        update_id=update_id, grounds=chosen, reason=reason, erase=chosen.erases
    )

    def takedown(story: Story, cid: str) -> bool:
        if story.done_by(cid) is not None:
            _same_as_before(app, slug, cid, Story.UpdateTakenDown, payload)
            return chosen.erases
        story.takedown_update(payload, editor=editor, command_id=cid)
        return chosen.erases

    erased = app.change(slug, editor, takedown, command_id)
    if erased:
        app.erase(slug, update_id)
    return erased


def review(
    app: StoryApp, slug: str, update_id: str, revision: int, *, note: str | None,
    editor: str, command_id: str = "",
) -> None:
    from storylog.domain.payloads import CorrectionReviewedPayload

    payload = CorrectionReviewedPayload(update_id=update_id, revision=revision, note=note)

    def sign_off(story: Story, cid: str) -> None:
        if story.done_by(cid) is None:
            story.review(payload, editor=editor, command_id=cid)
        else:
            _same_as_before(app, slug, cid, Story.CorrectionReviewed, payload)

    app.change(slug, editor, sign_off, command_id)
