"""Sources as first-class: identities across stories, and each source's timeline.

A source is identified by ``source_key`` of its canonical name (case, accents and
punctuation aside; the gazetteer's aliases included), after any merges recorded
in the source registry. An update citing someone "via" an outlet appears under
both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from storylog.domain.sources import canonical_name, guess_kind, source_key
from storylog.errors import NotFound
from storylog.projections.identities import confidential_keys, identity_key
from storylog.projections.queries import Views


class PublicIdentities:
    """Which source a cited name is on public pages, across every story.

    A name marked confidential anywhere never appears. The merges of an identity
    that holds a confidential name, or that a merge recorded as confidential joined,
    are not applied: each of its public names stands alone, under its own key, so
    that no public page ties an anonymous citation to a confidential name (nor shows
    the name, kind or aliases the merged identity has).
    """

    def __init__(self, views: Views):
        self.secret = confidential_keys(views.store)
        self.names: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.merges: dict[str, str] = {}
        for row in views.store.sources():
            self.names[row["source_key"]] = row["name"]
            self.kinds[row["source_key"]] = row["kind"]
            if row["merged_into"] and row["merged_into"] != row["source_key"]:
                self.merges[row["source_key"]] = row["merged_into"]
        secret_finals = {self.merges.get(k, k) for k in self.secret}
        secret_finals |= {self.merges.get(key, key) for key in views.store.secret_sources()}
        self.unmerged = secret_finals

    def key(self, name: str) -> str:
        """The key a public page files ``name`` under."""
        base = identity_key(name)
        final = self.merges.get(base, base)
        return base if final in self.unmerged else final

    def is_secret(self, name: str) -> bool:
        return identity_key(name) in self.secret

    def display_name(self, key: str, first_cited: str) -> str:
        if key.startswith("~"):
            return first_cited
        return self.names.get(key) or canonical_name(first_cited)

    def kind_of(self, key: str, name: str) -> str:
        return self.kinds.get(key) or str(guess_kind(name))


def resolve_source(views: Views, name: str) -> dict[str, Any]:
    key = source_key(canonical_name(name))
    row = views.store.source(key)
    if row is None:
        raise NotFound(f"no source {name!r}; see `storylog sources`")
    final = row["merged_into"] or key
    if final != key:
        row = views.store.source(final)
        assert row is not None  # a merge's target is never dropped
    return {"key": final, "name": row["name"], "kind": row["kind"]}


def source_list(views: Views) -> list[dict[str, Any]]:
    rows = views.store.source_counts()
    aliases: dict[str, set[str]] = {}
    for row in views.store.names_cited():
        aliases.setdefault(row["source_key"], set()).add(row["as_cited"])
    for row in views.store.names_merged():
        aliases.setdefault(row["merged_into"], set()).add(row["name"])
    return [{"key": r["source_key"], "name": r["name"], "kind": r["kind"],
             "updates": int(r["updates"]), "stories": int(r["stories"]),
             "aliases": sorted(aliases.get(r["source_key"], set()) - {r["name"]})}
            for r in rows]


def timeline(views: Views, names: list[str], slug: str | None = None,
             audit: bool = False) -> dict[str, Any]:
    sources = [resolve_source(views, n) for n in names]
    entries = []
    story_filter = views.story(slug)["story_id"] if slug else None
    for source in sources:
        entries += _entries(views, source, story_filter, audit)
    entries.sort(key=lambda e: (e["stamp_utc"], e["story"], e["update"]))
    return {"sources": sources, "entries": entries}


def _entries(views: Views, source: dict[str, Any], story_id: str | None,
             audit: bool = False) -> list[dict[str, Any]]:
    cited: dict[tuple[str, str], Any] = {}
    for row in views.store.citations_of(source["key"], story_id):
        cited.setdefault((row["story_id"], row["update_id"]), row)
    entries = []
    for (sid, uid), row in cited.items():
        head = views.head_position(sid)
        state = views.states_at(sid, head, [uid])[uid]
        if state["taken_down"] and not audit:
            state = {**state, "body": None}
        entries.append(_entry(views, source, row, state))
    return entries


def _entry(views: Views, source: dict[str, Any], row: Any, state: dict[str, Any]) -> dict[str, Any]:
    history = [
        {"revision": r["revision"], "action": r["action"], "at": r["recorded_at"],
         "note": r["note"]}
        for r in views.store.revision_history(row["story_id"], state["id"])
    ]
    versions = views.store.versions_from(row["story_id"], state["added_position"])
    return {
        "source": source["key"], "source_name": source["name"], "story": row["slug"],
        "update": state["id"], "stamp": state["stamp"],
        "stamp_utc": _utc(state["stamp"], row["tz"]), "role": row["role"],
        "as_cited": row["as_cited"], "said": state["body"], "status": state["status"],
        "retracted": state["retracted"],
        "retraction": state["retraction"]["note"] if state["retracted"] else None,
        "taken_down": state["taken_down"],
        "history": history, "versions": versions,
    }


def _utc(stamp: str, tz: str) -> str:
    local = datetime.fromisoformat(stamp).replace(tzinfo=ZoneInfo(tz))
    return local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")
