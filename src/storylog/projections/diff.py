"""What changed between two published versions of a story.

Only the updates touched by events between the two versions are looked at, so
the cost grows with what changed, not with the size of the story. A change
made and undone between the versions does not appear: states are compared,
not events.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from storylog.errors import NotFound, RefusedInput
from storylog.projections.queries import UpdateState, Views, fold_steps, public_update

TOKENS = re.compile(r"\s+|[\w’'-]+|[^\w\s]")


def word_diff(old: str, new: str) -> list[dict[str, str]]:
    """Inline word-level changes: segments of equal, deleted and inserted text."""
    a, b = TOKENS.findall(old), TOKENS.findall(new)
    segments: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("equal",):
            _push(segments, "equal", "".join(a[i1:i2]))
            continue
        if op in ("delete", "replace"):
            _push(segments, "delete", "".join(a[i1:i2]))
        if op in ("insert", "replace"):
            _push(segments, "insert", "".join(b[j1:j2]))
    return segments


def _push(segments: list[dict[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1]["op"] == op:
        segments[-1]["text"] += text
    else:
        segments.append({"op": op, "text": text})


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
    touched = [r["update_id"] for r in views.sql.fetchall(
        "SELECT DISTINCT update_id FROM rm_events WHERE story_id = ? AND position > ? "
        "AND position <= ? AND update_id IS NOT NULL ORDER BY update_id", (sid, low, high))]
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
                    ids: list[str]) -> dict[str, UpdateState]:
    states: dict[str, UpdateState] = {}
    for start in range(0, len(ids), 500):
        states.update(views.updates_at(sid, position, ids[start:start + 500]))
    return states


def _version_ref(v: dict[str, Any]) -> dict[str, Any]:
    return {"version": v["version"], "position": v["position"],
            "published_at": v["recorded_at"], "head": v["head"]}


def _details_change(old: dict[str, str], new: dict[str, str]) -> dict[str, Any]:
    return {field: ({"from": old[field], "to": new[field],
                     "words": word_diff(old[field], new[field])}
                    if old[field] != new[field] else None)
            for field in ("headline", "standfirst")}


def _classify(result: dict[str, Any], old: UpdateState | None, new: UpdateState | None) -> None:
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
    edit = _edit(old, new)
    if edit:
        result["edited"].append(edit)


def _retraction_note(state: UpdateState) -> dict[str, Any]:
    return {"update": state["id"], "kind": "retraction", "note": state["retraction"]["note"],
            "at": state["retraction"]["at"]}


def _note(state: UpdateState, note: dict[str, Any]) -> dict[str, Any]:
    return {"update": state["id"], **note}


def _edit(old: UpdateState, new: UpdateState) -> dict[str, Any] | None:
    changes: dict[str, Any] = {}
    if old["body"] != new["body"] and old["body"] is not None and new["body"] is not None:
        changes["body"] = word_diff(old["body"], new["body"])
    for field in ("status", "stamp", "key_event"):
        if old[field] != new[field]:
            changes[field] = {"from": old[field], "to": new[field]}
    if old["sources"] != new["sources"]:
        before = {s["name"]: s for s in old["sources"]}
        after = {s["name"]: s for s in new["sources"]}
        changes["sources"] = {
            "added": [after[n] for n in after if n not in before],
            "removed": [before[n] for n in before if n not in after],
            "changed": [after[n] for n in after if n in before and after[n] != before[n]],
        }
    if old["media"] != new["media"]:
        changes["media"] = {"from": old["media"], "to": new["media"]}
    if not changes:
        return None
    return {"id": new["id"], "stamp": new["stamp"], "from_revision": old["revision"],
            "to_revision": new["revision"], "changes": changes}


def revision_changes(views: Views, story_id: str, update_id: str) -> dict[int, Any]:
    """What each revision of one update changed, for ``log --patch``: revision 1 as
    all inserted, each later one against the revision before it. The content of an
    update that was taken down is withheld (``{"withheld": grounds}`` for every
    revision), as in every other ordinary view."""
    rows = views.sql.fetchall("SELECT * FROM rm_revisions WHERE story_id = ? AND update_id = ? "
                              "ORDER BY revision", (story_id, update_id))
    taken = [r for r in rows if r["action"] == "taken-down"]
    if taken:
        return {r["revision"]: {"withheld": f"taken down on {taken[0]['note']} grounds"}
                for r in rows}
    changes: dict[int, Any] = {}
    before: UpdateState | None = None
    for state in fold_steps(rows):
        if before is None:
            first: dict[str, Any] = {}
            if state["body"]:
                first["body"] = [{"op": "insert", "text": state["body"]}]
            if state["sources"]:
                first["sources"] = {"added": state["sources"], "removed": [], "changed": []}
            if state["media"]:
                first["media"] = {"from": [], "to": state["media"]}
            changes[1] = first
        else:
            edit = _edit(before, state)
            if edit is not None:
                changes[state["revision"]] = edit["changes"]
        before = dict(state)  # fields are replaced between steps, never changed in place
    return changes


def unified_patch(views: Views, slug: str, a: int, b: int) -> str:
    """A unified diff of the rendered Markdown that GNU patch applies to version a's."""
    from storylog.render.story import to_markdown

    old = to_markdown(views.view(slug, version=a)) if a else ""
    new = to_markdown(views.view(slug, version=b))
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"{slug}-v{a}.md", tofile=f"{slug}-v{b}.md",
    ))
