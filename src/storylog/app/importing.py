"""Importing a live page: a new story from its text, or a later copy as edits.

The parser (``storylog.importer``) turns text into updates; this module plans
the events that bring the story in line with the page, and applies them in one
save (one transaction), so an import lands whole or not at all:

- a new story: opened with the page's standfirst, its updates added oldest first;
- an existing story: the updates on the page now are aligned with the story's
  current ones; new ones are added, changed ones edited (kind ``update`` unless
  told otherwise), vanished ones retracted with a note saying they disappeared
  from the page. The same text twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storylog.app.rerun import different_change
from storylog.app.runner import saved
from storylog.app.service import StoryApp
from storylog.domain.payloads import (
    StoryDetailsChangedPayload,
    StoryOpenedPayload,
    UpdateAddedPayload,
    UpdateEditedPayload,
    UpdateRetractedPayload,
)
from storylog.domain.story import Story
from storylog.domain.values import ChangeKind, ContentChange, Status, UpdateContent
from storylog.errors import RefusedInput
from storylog.importer import Alignment, ParsedPage, ParsedUpdate, align

VANISHED_NOTE = "This update disappeared from the live page."


@dataclass
class ImportPlan:
    slug: str
    new_story: bool
    page: ParsedPage
    alignment: Alignment | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    replayed: tuple[int, int] | None = None  # a re-run: the events its command id wrote
    written: list[dict[str, Any]] = field(default_factory=list)  # the payloads, exactly

    def summary(self) -> dict[str, Any]:
        count = {k: sum(1 for e in self.events if e["event"] == k)
                 for k in ("UpdateAdded", "UpdateEdited", "UpdateRetracted")}
        uncertain = self.alignment.uncertain if self.alignment else []
        return {
            "story": self.slug,
            "new_story": self.new_story,
            "updates_on_page": len(self.page.updates),
            "added": count["UpdateAdded"],
            "edited": count["UpdateEdited"],
            "retracted": count["UpdateRetracted"],
            "unchanged": len(self.page.updates) - count["UpdateAdded"] - count["UpdateEdited"],
            "unsourced": [u.update_id for u in self.page.updates if u.unsourced],
            "uncertain": [{"update": p.old.update_id, "similarity": round(p.similarity, 3)}
                          for p in uncertain],
            "unplaced": [{"line": n, "text": t} for n, t in self.page.unplaced],
            "warnings": list(self.page.warnings),
            "replayed": list(self.replayed) if self.replayed else None,
            "events": self.events,
            "written": self.written,
        }


def check_accounted(page: ParsedPage, *, allow_unplaced: bool) -> None:
    """Refuse a page that would import as nothing, or leave lines behind unless allowed."""
    if not page.updates:
        raise RefusedInput(
            "the page has no updates (no line reads as a stamp, and no post has a time); "
            "nothing was written; check that it is the live page, or see `storylog import "
            "--help` for the stamps it reads")
    if page.unplaced and not allow_unplaced:
        shown = "; ".join(f"line {n}: {text[:40]!r}" for n, text in page.unplaced[:5])
        more = f" and {len(page.unplaced) - 5} more" if len(page.unplaced) > 5 else ""
        raise RefusedInput(
            f"{len(page.unplaced)} line(s) belong to no update ({shown}{more}); nothing was "
            "written; put them under a stamp or delete them, or pass --allow-unplaced to "
            "import without them")


def plan_and_apply(
    app: StoryApp, slug: str, page: ParsedPage, *, tz: str, headline: str | None,
    kind: str, note: str | None, editor: str, dry_run: bool,
    progress: Callable[[int], None] | None = None, command_id: str = "",
) -> ImportPlan:
    """Plan the events for ``page`` and (unless ``dry_run``) save them in one go.

    With a ``command_id`` that already imported into this story, nothing is written:
    the page is planned again against the story as it was before that import, and
    must give exactly the events the import wrote then, or it is refused."""
    if not editor.strip():
        raise RefusedInput("who is importing? give --editor NAME or set STORYLOG_EDITOR")
    options: dict[str, Any] = {"tz": tz, "headline": headline, "kind": kind, "note": note,
                               "editor": editor, "command_id": command_id}
    earlier = app.recorded(slug, command_id)
    if earlier:
        return _replayed(app, slug, page, earlier, options)

    def attempt() -> tuple[Story | None, ImportPlan]:
        # After a race, planned again on the story as the other writer left it.
        current = app.story(slug) if app.exists(slug) else None
        plan, story = _plan(current, slug, page, progress=progress, **options)
        plan.written = _written(story)
        return (None if dry_run else story), plan

    return saved(app, attempt, too_fast=f"{slug} is changing too fast to import into; try again")


def _replayed(app: StoryApp, slug: str, page: ParsedPage, earlier: list[Story.Event],
              options: dict[str, Any]) -> ImportPlan:
    first, last = earlier[0].originator_version, earlier[-1].originator_version
    before = app.story(slug, first - 1) if first > 1 else None
    plan, story = _plan(before, slug, page, progress=None, **options)
    planned = story.pending_events if story is not None else []
    if _comparable(planned) != _comparable(earlier):
        raise different_change(
            slug, options["command_id"], first,
            "this page or these options give other events than that import wrote")
    plan.replayed = (first, last)
    return plan


def _written(story: Story | None) -> list[dict[str, Any]]:
    """The events a save would store, as their payloads (what --dry-run --json shows)."""
    if story is None:
        return []
    return [{"event": type(e).__name__, "payload": e.payload.model_dump(mode="json")}
            for e in story.pending_events if isinstance(e, Story.Event)]


def _comparable(events: Any) -> list[tuple[str, Any]]:
    return [(type(e).__name__, e.payload.model_dump(mode="json")) for e in events]


def _plan(
    current: Story | None, slug: str, page: ParsedPage, *, tz: str, headline: str | None,
    kind: str, note: str | None, editor: str, command_id: str,
    progress: Callable[[int], None] | None,
) -> tuple[ImportPlan, Story | None]:
    who = {"editor": editor, "command_id": command_id}
    if current is None:
        title = headline or page.headline or slug.replace("-", " ").capitalize()
        story = Story.open(StoryOpenedPayload(slug=slug, headline=title,
                                              standfirst=page.standfirst, tz=tz), **who)
        plan = ImportPlan(slug, True, page)
        plan.events.append({"event": "Opened", "headline": title,
                            "standfirst": page.standfirst, "tz": tz})
        for update in reversed(page.updates):  # oldest first, as they happened
            _add(story, plan, update, who)
            if progress:
                progress(1)
        return plan, story
    story = current
    plan = ImportPlan(slug, False, page)
    if page.standfirst and page.standfirst != story.standfirst:
        story.change_details(StoryDetailsChangedPayload(
            standfirst=page.standfirst, kind=ChangeKind.UPDATE,
            reason="re-import: the page's standfirst changed"), **who)
        plan.events.append({"event": "DetailsChanged", "standfirst": page.standfirst})
    showing = [_as_parsed(story, uid) for uid in story.order
               if story.updates[uid].retracted is None and story.updates[uid].taken_down is None]
    plan.alignment = align([u for u in showing if u is not None], page.updates)
    for pair in plan.alignment.changed:
        _edit(story, plan, pair, kind, note, who)
        if progress:
            progress(1)
    for update in reversed(plan.alignment.added):
        if update.update_id in story.updates:
            update = _renamed(story, update)
        _add(story, plan, update, who)
        if progress:
            progress(1)
    for gone in plan.alignment.removed:
        payload = UpdateRetractedPayload(
            update_id=gone.update_id, base_revision=story.updates[gone.update_id].revision,
            reason="re-import: no longer on the page", note=VANISHED_NOTE)
        story.retract_update(payload, **who)
        plan.events.append({"event": "UpdateRetracted", "update": gone.update_id,
                            "note": VANISHED_NOTE})
    return plan, story


def _add(story: Story, plan: ImportPlan, update: ParsedUpdate, who: dict[str, str]) -> None:
    payload = UpdateAddedPayload(
        update_id=update.update_id, stamp=update.stamp, key_event=update.key_event,
        status=update.status or Status.UNVERIFIED,
        content=UpdateContent.model_validate(update.content()),
    )
    story.add_update(payload, **who)
    plan.events.append({"event": "UpdateAdded", "update": update.update_id,
                        "stamp": update.stamp, "body": update.body,
                        "sources": update.sources, "media": update.media,
                        "unsourced": update.unsourced})


def _edit(story: Story, plan: ImportPlan, pair: Any, kind: str, note: str | None,
          who: dict[str, str]) -> None:
    uid, new = pair.old.update_id, pair.new
    change = ContentChange.model_validate({
        "body": new.body if pair.body_changed else None,
        "sources": new.sources if pair.sources_changed else None,
        "media": new.media if pair.media_changed else None,
    })
    payload = UpdateEditedPayload(
        update_id=uid, base_revision=story.updates[uid].revision, kind=ChangeKind(kind),
        reason="re-import: the update changed on the page", note=note,
        stamp=new.stamp if pair.stamp_changed else None,
        content=None if change.is_empty() else change,
    )
    if not story._edit_changes_something(story.updates[uid], payload):
        return  # the difference does not survive normalisation: nothing to record
    try:
        story.edit_update(payload, **who)
    except RefusedInput as error:
        raise _for_import(error) from None
    changed = [f for f in ("stamp", "body", "sources", "media")
               if getattr(pair, f"{f}_changed")]
    plan.events.append({"event": "UpdateEdited", "update": uid, "kind": kind,
                        "changed": changed, "uncertain": pair.uncertain,
                        "similarity": round(pair.similarity, 3)})


def _for_import(error: RefusedInput) -> RefusedInput:
    """The story's refusal in import's own options: import takes no --override."""
    message = str(error)
    if "--override" not in message:
        return error
    message = message.split(" Re-file it", 1)[0].split(", or pass --override", 1)[0]
    return RefusedInput(f"{message.rstrip('.')}. Import it again with --kind correction (or "
                        "clarification) and a public --note, or make that edit with "
                        "`storylog edit`, which takes --override REASON")


def _as_parsed(story: Story, uid: str) -> ParsedUpdate | None:
    update = story.updates[uid]
    content = update.content
    if content is None:
        return None
    sources = [{k: v for k, v in s.model_dump(mode="json").items()
                if k in ("name", "kind", "via") and v is not None} for s in content.sources]
    return ParsedUpdate(
        update_id=uid, stamp=update.stamp.replace("T", " "), stamp_line=0, body=content.body,
        sources=sources, media=[m.model_dump(mode="json", exclude_none=True)
                                for m in content.media],
        unsourced=not sources, key_event=update.key_event,
    )


def _renamed(story: Story, update: ParsedUpdate) -> ParsedUpdate:
    from dataclasses import replace

    number = 2
    while f"{update.update_id}-{number}" in story.updates:
        number += 1
    return replace(update, update_id=f"{update.update_id}-{number}")
