"""The editors' commands: build a validated payload and run it on the latest story.

Each command is a ``Change`` handed to the runner (``app.runner.run``), which loads the
story, notes what the editor saw, makes the change, saves it, and after a race makes it
again on the story as it now is. A command whose ``command_id`` was already applied
answers what it did then and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from storylog.app.runner import Change, Done, run, saved
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


def now_stamp(story: Story) -> str:
    return datetime.now(ZoneInfo(story.tz)).strftime("%Y-%m-%d %H:%M")


def _update_id(done: Done) -> str:
    return done[0]


def _number(done: Done) -> int:
    """The revision (or version) a command made."""
    return done[1]


def _nothing(done: Done) -> None:
    return None


def add_update(
    app: StoryApp, slug: str, *, body: str, update_id: str | None = None,
    stamp: str | None = None, sources: list[dict[str, Any]] | None = None,
    status: str = "unverified", key_event: bool = False,
    media: list[dict[str, Any]] | None = None, editor: str, command_id: str = "",
) -> str:
    content = UpdateContent.model_validate(
        {"body": body, "sources": sources or [], "media": media or []}
    )

    def asked(story: Story, base: int) -> UpdateAddedPayload:
        return UpdateAddedPayload(
            update_id=update_id or story.next_update_id(), stamp=stamp or now_stamp(story),
            status=Status(status), key_event=key_event, content=content,
        )

    def add(story: Story, payload: UpdateAddedPayload, base: int, cid: str) -> str:
        story.add_update(payload, editor=editor, command_id=cid)
        return payload.update_id

    # An id or stamp the editor left to storylog is whatever it was made then.
    left_out = {name for name, given in (("update_id", update_id), ("stamp", stamp))
                if given is None}
    change = Change(Story.UpdateAdded, asked, add, _update_id, left_out=frozenset(left_out))
    return run(app, slug, change, editor=editor, command_id=command_id)


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

    def asked(story: Story, base: int) -> UpdateEditedPayload:
        return UpdateEditedPayload(
            update_id=update_id, base_revision=base, kind=ChangeKind(kind),
            reason=reason, note=note, stamp=stamp, status=Status(status) if status else None,
            key_event=key_event, override=override,
            content=None if change.is_empty() else change,
        )

    def edit(story: Story, payload: UpdateEditedPayload, base: int, cid: str) -> int:
        story.edit_update(payload, editor=editor, command_id=cid)
        return story.updates[update_id].revision

    # The base revision is what the editor saw, not part of the change asked.
    return run(app, slug, Change(
        Story.UpdateEdited, asked, edit, _number, saw=_revision_of(update_id),
        based_on=base_revision or None, about=update_id,
        left_out=frozenset({"flags", "base_revision"}),
    ), editor=editor, command_id=command_id)


def retract_update(
    app: StoryApp, slug: str, update_id: str, *, reason: str, note: str,
    base_revision: int | None = None, editor: str, command_id: str = "",
) -> int:
    def asked(story: Story, base: int) -> UpdateRetractedPayload:
        return UpdateRetractedPayload(update_id=update_id, base_revision=base, reason=reason,
                                      note=note)

    def retract(story: Story, payload: UpdateRetractedPayload, base: int, cid: str) -> int:
        story.retract_update(payload, editor=editor, command_id=cid)
        return story.updates[update_id].revision

    return run(app, slug, Change(
        Story.UpdateRetracted, asked, retract, _number, saw=_revision_of(update_id),
        based_on=base_revision or None, about=update_id, left_out=frozenset({"base_revision"}),
    ), editor=editor, command_id=command_id)


def _revision_of(update_id: str) -> Callable[[Story], int]:
    """What an editor saw of an update: its revision."""
    return lambda story: story.update(update_id).revision


def change_details(
    app: StoryApp, slug: str, payload: StoryDetailsChangedPayload, *, editor: str,
    command_id: str = "",
) -> None:
    def change(story: Story, payload: StoryDetailsChangedPayload, base: int, cid: str) -> None:
        story.change_details(payload, editor=editor, command_id=cid)

    run(app, slug, Change(Story.DetailsChanged, lambda story, base: payload, change, _nothing),
        editor=editor, command_id=command_id)


def publish(
    app: StoryApp, slug: str, *, editor: str, note: str | None = None,
    base_position: int | None = None, command_id: str = "",
) -> int:
    from storylog.domain.payloads import CheckpointRef
    from storylog.store import checkpoint_records

    latest = checkpoint_records.latest(app.sql)
    checkpoint = CheckpointRef(**latest) if latest else None

    def asked(story: Story, base: int) -> VersionPublishedPayload:
        # What a re-run asks is only its note: the rest is what the story was at.
        return VersionPublishedPayload(version=1, head="0" * 64, note=note)
    def publish(story: Story, payload: VersionPublishedPayload, base: int, cid: str) -> int:
        return story.publish(
            head=app.chain.hash_at(story.id, story.version), note=note, editor=editor,
            command_id=cid, checkpoint=checkpoint, base_position=base,
        )

    return run(app, slug, Change(
        Story.VersionPublished, asked, publish, _number,
        based_on=base_position, left_out=frozenset({"version", "head", "checkpoint"}),
    ), editor=editor, command_id=command_id)


def merge_sources(
    app: StoryApp, source: str, into: str, *, reason: str, editor: str, command_id: str = "",
    confidential_merge: bool = False, confidential: Collection[str] = (),
) -> None:
    """Record that ``source`` and ``into`` are one source (an event in the registry).

    ``confidential``: keys of the names marked confidential in any story; joining one
    needs ``confidential_merge``, the editor's decision, which the event records."""
    from eventsourcing.application import AggregateNotFoundError

    from storylog.domain.registry import REGISTRY_ID, SourceRegistry, SourcesMergedPayload

    payload = SourcesMergedPayload(source=source, into=into, reason=reason,
                                   confidential=confidential_merge)

    def merge() -> tuple[SourceRegistry, None]:
        try:
            registry: object = app.repository.get(REGISTRY_ID)
        except AggregateNotFoundError:
            registry = SourceRegistry.create(editor=editor, command_id=command_id or "registry")
        assert isinstance(registry, SourceRegistry)
        registry.merge(payload, editor=editor, command_id=command_id or "merge",
                       confidential=confidential)
        return registry, None

    saved(app, merge, too_fast="the source registry is changing too fast; try again")


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

    def takedown(story: Story, payload: UpdateTakenDownPayload, base: int, cid: str) -> bool:
        story.takedown_update(payload, editor=editor, command_id=cid)
        return chosen.erases

    erased = run(app, slug, Change(Story.UpdateTakenDown, lambda story, base: payload,
                                   takedown, lambda done: chosen.erases),
                 editor=editor, command_id=command_id)
    if erased:
        app.erase(slug, update_id)
    return erased


def review(
    app: StoryApp, slug: str, update_id: str, revision: int, *, note: str | None,
    editor: str, command_id: str = "",
) -> None:
    from storylog.domain.payloads import CorrectionReviewedPayload

    payload = CorrectionReviewedPayload(update_id=update_id, revision=revision, note=note)

    def sign_off(story: Story, payload: CorrectionReviewedPayload, base: int, cid: str) -> None:
        story.review(payload, editor=editor, command_id=cid)

    run(app, slug, Change(Story.CorrectionReviewed, lambda story, base: payload, sign_off,
                          _nothing), editor=editor, command_id=command_id)


@dataclass(frozen=True)
class UpdateAsSeen:
    """An update as the editor sees it before changing it (an edit is based on it)."""

    revision: int
    body: str  # "" once its content is erased
    media: list[dict[str, Any]]


def update_as_seen(app: StoryApp, slug: str, update_id: str) -> UpdateAsSeen:
    update = app.story(slug).update(update_id)
    content = update.content
    return UpdateAsSeen(update.revision, content.body if content else "",
                        [m.model_dump() for m in content.media] if content else [])


def stamp_warning(app: StoryApp, slug: str, stamp: str | None) -> str | None:
    """A stamp the clocks passed twice (autumn) is kept as written: which one it means."""
    if not stamp:
        return None
    from storylog.domain.values import parse_stamp, stamp_problem

    problem = stamp_problem(parse_stamp(stamp), app.story(slug).tz)
    return problem[1] if problem and problem[0] == "ambiguous" else None
