"""What changed between two published versions of a story.

Only the updates touched by events between the two versions are looked at, so
the cost grows with what changed, not with the size of the story. A change
made and undone between the versions does not appear: states are compared,
not events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storylog.errors import NotFound, RefusedInput
from storylog.projections.identities import secret_names
from storylog.projections.queries import Views
from storylog.projections.textdiff import unified_lines, word_diff
from storylog.projections.updates import (
    FoldedUpdate,
    edit_between,
    public_sources,
    public_update,
)


def resolve_versions(views: Views, slug: str, a: int | None, b: int | None) -> tuple[int, int]:
    """The versions to compare; by default the last two published (0 = before the first)."""
    count = len(views.versions(slug))
    if count == 0:
        raise RefusedInput(f"{slug} has no published version yet; publish before diffing")
    b = count if b is None else b
    a = max(b - 1, 0) if a is None else a
    for number in (a, b):
        if not 0 <= number <= count:
            raise NotFound(f"{slug} has no published version {number} (published: 1 to {count})")
    return a, b


def version_diff(views: Views, slug: str, a: int, b: int) -> dict[str, Any]:
    story = views.story(slug)
    sid = story["story_id"]
    empty: dict[str, Any] = {"version": 0, "position": 0, "recorded_at": None, "head": None}
    va = views.version(slug, a) if a else empty
    vb = views.version(slug, b)
    pa, pb = va["position"], vb["position"]
    low, high = min(pa, pb), max(pa, pb)
    touched = views.store.updates_touched(sid, low, high)
    before = _chunked_states(views, sid, pa, touched)
    after = _chunked_states(views, sid, pb, touched)
    result: dict[str, Any] = {
        "slug": slug,
        "from": _version_ref(va),
        "to": _version_ref(vb),
        **_details_change(views.details_at(sid, pa), views.details_at(sid, pb)),
        "added": [], "retracted": [], "edited": [], "taken_down": [], "notes": [],
    }
    takedowns = views.takedowns(sid)
    for uid in touched:
        if uid in takedowns:  # its content leaves every view: only the notice remains
            takedown = takedowns[uid]
            if low < takedown["position"] <= high and uid in after:
                result["taken_down"].append({"id": uid, "stamp": after[uid]["stamp"],
                                             "grounds": takedown["grounds"],
                                             "at": takedown["at"]})
            continue
        _classify(result, before.get(uid), after.get(uid))
    for key in ("added", "retracted", "edited", "taken_down"):
        result[key].sort(key=lambda u: (u["stamp"], u["id"]), reverse=True)
    result["notes"].sort(key=lambda n: n["at"])
    result["summary"] = {k: len(result[k])
                         for k in ("added", "retracted", "edited", "taken_down", "notes")}
    return result


def _chunked_states(views: Views, sid: str, position: int,
                    ids: list[str]) -> dict[str, FoldedUpdate]:
    """The updates at a published version as readers saw them: no confidential source."""
    states: dict[str, FoldedUpdate] = {}
    for start in range(0, len(ids), 500):
        states.update(views.updates_at(sid, position, ids[start:start + 500]))
    secret = secret_names(views.store)
    for state in states.values():
        state["sources"] = public_sources(state["sources"], secret)
    return states


def _version_ref(v: dict[str, Any]) -> dict[str, Any]:
    return {"version": v["version"], "position": v["position"],
            "published_at": v["recorded_at"], "head": v["head"]}


def _details_change(old: dict[str, str], new: dict[str, str]) -> dict[str, Any]:
    return {field: ({"from": old[field], "to": new[field],
                     "words": word_diff(old[field], new[field])}
                    if old[field] != new[field] else None)
            for field in ("headline", "standfirst")}


def _classify(result: dict[str, Any], old: FoldedUpdate | None, new: FoldedUpdate | None) -> None:
    if new is None:
        return  # only in the older version: the diff runs backwards; nothing is shown
    if old is None:
        result["added"].append(public_update(new))
        result["notes"] += [_note(new, n) for n in new["notes"]]
        if new["retracted"]:  # added and withdrawn between the two versions
            result["notes"].append(_retraction_note(new))
        return
    result["notes"] += [_note(new, n) for n in new["notes"][len(old["notes"]):]]
    if new["retracted"] and not old["retracted"]:
        result["retracted"].append({
            "id": new["id"], "stamp": new["stamp"], "notice": new["retraction"]["note"],
            "body": new["body"], "at": new["retraction"]["at"],
        })
        result["notes"].append(_retraction_note(new))
        return
    edit = edit_between(old, new)
    if edit:
        result["edited"].append(edit)


def _retraction_note(state: FoldedUpdate) -> dict[str, Any]:
    return {"update": state["id"], "kind": "retraction", "note": state["retraction"]["note"],
            "at": state["retraction"]["at"]}


def _note(state: FoldedUpdate, note: dict[str, Any]) -> dict[str, Any]:
    return {"update": state["id"], **note}


def unified_patch(views: Views, slug: str, a: int, b: int,
                  markdown: Callable[[dict[str, Any]], str]) -> str:
    """A unified diff of version a's and version b's Markdown, as ``markdown`` renders a
    story's view, that GNU patch applies to version a's."""
    old = markdown(views.view(slug, version=a)) if a else ""
    new = markdown(views.view(slug, version=b))
    return "".join(unified_lines(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"{slug}-v{a}.md", f"{slug}-v{b}.md"))
