"""The standards desk's questions: what did we change after publishing, how fast,
who, was the public told, was it reviewed, and which copy edits changed facts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storylog.projections.queries import Views


@dataclass
class Filters:
    story: str | None = None
    since: str | None = None
    until: str | None = None
    editor: str | None = None
    kind: str | None = None
    stealth: bool = False
    unreviewed: bool = False


def corrections(views: Views, f: Filters) -> dict[str, Any]:
    """Every change to an update after it was first published, with totals."""
    since = views.utc(f.since, "UTC") if f.since else None
    until = views.utc(f.until, "UTC") if f.until else None
    rows = views.store.changes(slug=f.story, since=since, until=until, editor=f.editor,
                               stealth=f.stealth)
    entries = [e for e in (_entry(views, r) for r in rows) if e is not None]
    entries = [e for e in entries if not f.kind or e["kind"] == f.kind]
    if f.unreviewed:
        entries = [e for e in entries if e["needs_review"] and not e["reviewed"]]
    return {"corrections": entries, "totals": _totals(entries)}


def _entry(views: Views, row: Any) -> dict[str, Any] | None:
    sid, uid = row["story_id"], row["update_id"]
    first = views.store.first_publication(sid, uid)
    if first is None or row["position"] <= first["position"]:
        return None  # not yet published when changed: an ordinary edit, not a correction
    following = views.store.next_version_after(sid, row["position"])
    kind = {"UpdateRetracted": "retraction", "UpdateTakenDown": "takedown"}.get(
        row["type"], row["kind"])
    note = row["note"] if row["type"] != "UpdateTakenDown" else None
    reviewed = views.store.review(sid, uid, row["revision"])
    return {
        "story": row["slug"], "update": uid, "revision": row["revision"],
        "position": row["position"], "kind": kind, "reason": row["reason"], "note": note,
        "editor": row["editor"], "at": row["recorded_at"],
        "first_published": {"version": first["version"], "at": first["recorded_at"]},
        "hours_after_publication": _hours(first["recorded_at"], row["recorded_at"]),
        "note_published_in": following["version"] if following and note else None,
        "public_told": _told(kind, note, following),
        "stealth_flags": row["flags"].split(",") if row["flags"] else [],
        "override": row["override"],
        "needs_review": kind not in ("copy-edit", "update") or bool(row["flags"]),
        "reviewed": {"by": reviewed["editor"], "at": reviewed["recorded_at"]}
        if reviewed else None,
    }


def _told(kind: str, note: str | None, following: Any | None) -> str:
    if kind in ("copy-edit", "update"):
        return "not required"
    if kind == "takedown":
        return "notice only" if following else "not yet published"
    if not note:
        return "no"
    return "yes" if following else "not yet published"


def _hours(start: str, end: str) -> float:
    seconds = (_parse(end) - _parse(start)).total_seconds()
    return round(seconds / 3600, 2)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _totals(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "changes": len(entries),
        "by_kind": dict(sorted(Counter(e["kind"] for e in entries).items())),
        "by_story": dict(sorted(Counter(e["story"] for e in entries).items())),
        "stealth": sum(1 for e in entries if e["stealth_flags"]),
        "unreviewed": sum(1 for e in entries if e["needs_review"] and not e["reviewed"]),
    }


def contributions(views: Views, editor: str) -> dict[str, Any]:
    """One editor's events across every story, newest first, like a wiki's page."""
    rows = views.store.contributions(editor)
    entries = [{
        "story": r["slug"], "position": r["position"], "at": r["recorded_at"],
        "event": r["type"], "update": r["update_id"], "kind": r["kind"],
        "reason": r["reason"], "note": r["note"],
        "stealth_flags": r["flags"].split(",") if r["flags"] else [],
    } for r in rows]
    return {"editor": editor, "contributions": entries,
            "totals": dict(sorted(Counter(e["event"] for e in entries).items()))}
