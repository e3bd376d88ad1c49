"""One update as the read models hold it: the fold of its revision rows (deltas) into a
state, the shape `show --json` prints, and what changed from one state to the next.

Both the questions (``queries``) and the diffs between versions (``diff``) use these;
neither imports the other for them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

# An update folded from its revision rows: a plain dict, unlike the aggregate's
# domain.story.UpdateState, which holds the same update as the rules see it.
FoldedUpdate = dict[str, Any]


def fold_update(rows: Iterable[Any]) -> FoldedUpdate:
    """An update's state from its revision rows (deltas), oldest first."""
    last = deque(fold_steps(rows), maxlen=1)
    return last[0] if last else {}


def fold_steps(rows: Iterable[Any]) -> Iterator[FoldedUpdate]:
    """The update's state after each of its revision rows, oldest first (one dict,
    changed in place from step to step)."""
    state: FoldedUpdate = {}
    notes: list[dict[str, Any]] = []
    for row in rows:
        if not state:
            state = {
                "id": row["update_id"], "stamp": row["stamp"], "body": row["body"],
                "sources": _json(row["sources"]) or [], "media": _media(row["media"]),
                "status": row["status"], "key_event": bool(row["key_event"]),
                "revision": 1, "retracted": False, "retraction": None,
                "erased": bool(row["erased"]), "notes": notes,
                "added_position": row["position"], "added_at": row["recorded_at"],
                "taken_down": None,
            }
            yield state
            continue
        state["revision"] = row["revision"]
        if row["action"] == "taken-down":
            state["taken_down"] = {"grounds": row["note"], "at": row["recorded_at"]}
            state["erased"] = state["erased"] or bool(row["erased"])
        elif row["action"] == "retracted":
            state["retracted"] = True
            state["retraction"] = {"note": row["note"], "at": row["recorded_at"],
                                   "by": row["editor"]}
        else:
            for field in ("stamp", "status", "body"):
                if row[field] is not None:
                    state[field] = row[field]
            if row["key_event"] is not None:
                state["key_event"] = bool(row["key_event"])
            if row["sources"] is not None:
                state["sources"] = _json(row["sources"])
            if row["media"] is not None:
                state["media"] = _media(row["media"])
            if row["note"]:
                notes.append({"kind": row["action"], "note": row["note"],
                              "at": row["recorded_at"]})
        yield state


def _json(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def _media(text: str | None) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if v is not None} for m in (_json(text) or [])]


def public_update(state: FoldedUpdate, *, audit: bool = False,
                  readers: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """The update as `show --json` prints it; a taken-down one is a notice only
    (``audit`` shows what a legal takedown removed; erased content is gone).
    ``readers`` (a test of names confidential anywhere): what the public saw, so no
    confidential source (unless ``audit``)."""
    keys = ("id", "stamp", "body", "sources", "media", "status", "key_event", "revision",
            "retracted", "retraction", "erased", "notes", "taken_down")
    view = {k: state[k] for k in keys}
    if view["erased"] or (view["taken_down"] and not audit):
        view["body"], view["sources"], view["media"], view["notes"] = None, [], [], []
    if readers is not None and not audit:
        view["sources"] = public_sources(view["sources"], readers)
    return view


def public_sources(sources: list[dict[str, Any]],
                   secret: Callable[[str], bool]) -> list[dict[str, Any]]:
    """The citations readers see: a source marked confidential here, or whose name is
    marked confidential in any story, is never named to them (not even as a "via")."""
    return [{**s, "via": None if s.get("via") and secret(s["via"]) else s.get("via")}
            for s in sources if not s.get("confidential") and not secret(s["name"])]


def newest_first(states: Iterable[FoldedUpdate]) -> list[FoldedUpdate]:
    return sorted(states, key=lambda s: (s["stamp"], s["added_position"]), reverse=True)


def edit_between(old: FoldedUpdate, new: FoldedUpdate) -> dict[str, Any] | None:
    """What changed in an update from one state to a later one (None: nothing shown):
    its text word by word, sources added, removed and changed, status, stamp, media."""
    from storylog.projections.textdiff import word_diff  # not on a plain read's start-up

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


def revision_changes(rows: list[Any]) -> dict[int, Any]:
    """What each revision of one update changed, for ``log --patch``, from all its
    revision rows: revision 1 as all inserted, each later one against the revision
    before it. The content of an update that was taken down is withheld
    (``{"withheld": grounds}`` for every revision), as in every other ordinary view."""
    taken = [r for r in rows if r["action"] == "taken-down"]
    if taken:
        return {r["revision"]: {"withheld": f"taken down on {taken[0]['note']} grounds"}
                for r in rows}
    changes: dict[int, Any] = {}
    before: FoldedUpdate | None = None
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
            edit = edit_between(before, state)
            if edit is not None:
                changes[state["revision"]] = edit["changes"]
        before = dict(state)  # fields are replaced between steps, never changed in place
    return changes
