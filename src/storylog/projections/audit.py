"""The audit trail (`log`) and the list of stories, folded from stored events."""

from __future__ import annotations

from typing import Any

from storylog.app.service import StoryApp
from storylog.domain.story import Story


def audit_entries(app: StoryApp, slug: str, update_id: str | None = None) -> list[dict[str, Any]]:
    """Every event of a story (or of one update): position, who, when, what, why."""
    entries = []
    for row in app.rows(slug):
        event = app.event_of(row)
        entry = audit_entry(event)
        if update_id is None or entry.get("update") == update_id:
            entries.append(entry)
    return entries


def audit_entry(event: Story.Event) -> dict[str, Any]:
    p = event.payload
    entry: dict[str, Any] = {
        "position": event.originator_version,
        "recorded_at": event.recorded_at,
        "editor": event.editor,
        "event": type(event).__name__,
        "command_id": event.command_id,
    }
    for field in ("update_id", "kind", "reason", "note", "version", "head", "base_revision"):
        value = getattr(p, field, None)
        if value is not None:
            entry["update" if field == "update_id" else field] = getattr(value, "value", value)
    entry["changed"] = changed_fields(event)
    return entry


def changed_fields(event: Story.Event) -> list[str]:
    p = event.payload
    if isinstance(event, Story.UpdateEdited):
        fields = [f for f in ("stamp", "status", "key_event") if getattr(p, f) is not None]
        if p.content is not None:
            fields += [f for f in ("body", "sources", "media") if getattr(p.content, f) is not None]
        return fields
    if isinstance(event, Story.DetailsChanged):
        return [f for f in ("headline", "standfirst") if getattr(p, f) is not None]
    return []


def story_summaries(app: StoryApp) -> list[dict[str, Any]]:
    summaries = []
    for slug in app.slugs():
        story = app.story(slug)
        summaries.append(
            {
                "slug": slug,
                "headline": story.headline,
                "updates": len(story.order),
                "retracted": sum(1 for u in story.updates.values() if u.retracted),
                "published_versions": len(story.versions),
                "position": story.version,
                "last_change": story.modified_on.isoformat(),
            }
        )
    return summaries
