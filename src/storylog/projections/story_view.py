"""The story as a plain dict: what `show` prints, whatever the format.

This is the shape of ``storylog show --json``: scripts rely on its keys.
"""

from __future__ import annotations

from typing import Any

from storylog.domain.story import Story, UpdateState


def story_view(story: Story, version: int | None = None) -> dict[str, Any]:
    """A story's updates newest first (by stamp, then by when they were added)."""
    ranked = sorted(
        enumerate(story.order), key=lambda pair: (story.updates[pair[1]].stamp, pair[0]),
        reverse=True,
    )
    return {
        "slug": story.slug,
        "headline": story.headline,
        "standfirst": story.standfirst,
        "tz": story.tz,
        "lang": story.lang,
        "version": version,
        "published_versions": len(story.published),
        "position": story.version,
        "updates": [update_view(story.updates[uid]) for _, uid in ranked],
    }


def update_view(update: UpdateState) -> dict[str, Any]:
    content = None if update.taken_down else update.content
    erased = update.content is None
    return {
        "id": update.id,
        "stamp": update.stamp,
        "body": content.body if content else None,
        "sources": [s.model_dump(mode="json") for s in content.sources] if content else [],
        "media": [m.model_dump(mode="json", exclude_none=True) for m in content.media]
        if content
        else [],
        "status": update.status.value,
        "key_event": update.key_event,
        "revision": update.revision,
        "retracted": update.retracted is not None,
        "retraction": update.retracted,
        "erased": erased,
        "notes": [] if update.taken_down else [
            {"kind": r.action, "note": r.note, "at": r.at} for r in update.notes
        ],
        "taken_down": {"grounds": update.taken_down["grounds"], "at": update.taken_down["at"]}
        if update.taken_down else None,
    }
