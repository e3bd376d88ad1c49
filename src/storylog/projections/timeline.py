"""Sources as first-class: identities across stories, and each source's timeline.

A source is identified by ``source_key`` of its canonical name (case, accents and
punctuation aside; the gazetteer's aliases included), after any merges recorded
in the source registry. An update citing someone "via" an outlet appears under
both.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from storylog.domain.sources import canonical_name, guess_kind, source_key
from storylog.errors import NotFound
from storylog.projections.queries import Views


def identity_key(name: str) -> str:
    """The identity key of a source name, before merges."""
    key = source_key(canonical_name(name))
    if key:
        return key
    # A name source_key folds to nothing (punctuation, symbols) gets a key of its own.
    return "~" + " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def confidential_keys(views: Views) -> set[str]:
    """The identity keys of every name marked confidential in any revision of any story,
    published or not: a name confidential anywhere is confidential everywhere."""
    keys: set[str] = set()
    for row in views.sql.fetchall(
        "SELECT sources FROM rm_revisions WHERE sources LIKE ?", ('%"confidential":true%',)
    ):
        for s in orjson.loads(row["sources"]) or []:
            if s.get("confidential"):
                keys.add(identity_key(s["name"]))
    return keys


class PublicIdentities:
    """Which source a cited name is on public pages, across every story.

    A name marked confidential anywhere never appears. The merges of an identity
    that holds a confidential name, or that a merge recorded as confidential joined,
    are not applied: each of its public names stands alone, under its own key, so
    that no public page ties an anonymous citation to a confidential name (nor shows
    the name, kind or aliases the merged identity has).
    """

    def __init__(self, views: Views):
        self.secret = confidential_keys(views)
        self.names: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.merges: dict[str, str] = {}
        for row in views.sql.fetchall("SELECT source_key, name, kind, merged_into FROM rm_sources"):
            self.names[row["source_key"]] = row["name"]
            self.kinds[row["source_key"]] = row["kind"]
            if row["merged_into"] and row["merged_into"] != row["source_key"]:
                self.merges[row["source_key"]] = row["merged_into"]
        secret_finals = {self.merges.get(k, k) for k in self.secret}
        secret_finals |= {self.merges.get(r["source_key"], r["source_key"]) for r in
                          views.sql.fetchall("SELECT source_key FROM rm_source_secrets")}
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
    rows = views.sql.fetchall("SELECT * FROM rm_sources WHERE source_key = ?", (key,))
    if not rows:
        raise NotFound(f"no source {name!r}; see `storylog sources`")
    final = rows[0]["merged_into"] or key
    if final != key:
        rows = views.sql.fetchall("SELECT * FROM rm_sources WHERE source_key = ?", (final,))
    return {"key": final, "name": rows[0]["name"], "kind": rows[0]["kind"]}


def source_list(views: Views) -> list[dict[str, Any]]:
    rows = views.sql.fetchall(
        "SELECT s.source_key, s.name, s.kind, "
        "COUNT(DISTINCT c.story_id || '/' || c.update_id) AS updates, "
        "COUNT(DISTINCT c.story_id) AS stories "
        "FROM rm_sources s LEFT JOIN rm_citations c ON c.source_key = s.source_key "
        "WHERE s.merged_into IS NULL OR s.merged_into = s.source_key "
        "GROUP BY s.source_key, s.name, s.kind ORDER BY updates DESC, s.name")
    aliases: dict[str, set[str]] = {}
    for row in views.sql.fetchall(
        "SELECT DISTINCT source_key, as_cited FROM rm_citations WHERE role = 'direct'"
    ):
        aliases.setdefault(row["source_key"], set()).add(row["as_cited"])
    for row in views.sql.fetchall(
        "SELECT name, merged_into FROM rm_sources WHERE merged_into IS NOT NULL "
        "AND merged_into <> source_key"
    ):
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
    query = ("SELECT c.story_id, c.update_id, c.role, c.as_cited, c.via, s.slug, s.tz "
             "FROM rm_citations c JOIN rm_stories s ON s.story_id = c.story_id "
             "WHERE c.source_key = ?")
    params: list[Any] = [source["key"]]
    if story_id:
        query += " AND c.story_id = ?"
        params.append(story_id)
    cited: dict[tuple[str, str], Any] = {}
    # role breaks a tie (one update citing the source directly and as another's channel):
    # without it the row order, and so the entry, differed between SQLite and PostgreSQL.
    for row in views.sql.fetchall(query + " ORDER BY c.position, c.role", params):
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
        for r in views.sql.fetchall(
            "SELECT revision, action, recorded_at, note FROM rm_revisions "
            "WHERE story_id = ? AND update_id = ? ORDER BY revision",
            (row["story_id"], state["id"]))
    ]
    versions = [r["version"] for r in views.sql.fetchall(
        "SELECT version FROM rm_versions WHERE story_id = ? AND position >= ? ORDER BY version",
        (row["story_id"], state["added_position"]))]
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
