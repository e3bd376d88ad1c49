"""Questions answered from the read models: the story at any point, versions, the log.

Every answer first brings the read models up to date (``StoryApp.catch_up``),
then reads rows; nothing here replays a story's events.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from storylog.errors import NotFound, RefusedInput

if TYPE_CHECKING:
    from storylog.app.service import StoryApp
    from storylog.store.sql import Sql

UpdateState = dict[str, Any]


def fold_update(rows: Iterable[Any]) -> UpdateState:
    """An update's state from its revision rows (deltas), oldest first."""
    last = deque(fold_steps(rows), maxlen=1)
    return last[0] if last else {}


def fold_steps(rows: Iterable[Any]) -> Iterator[UpdateState]:
    """The update's state after each of its revision rows, oldest first (one dict,
    changed in place from step to step)."""
    state: UpdateState = {}
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


def public_update(state: UpdateState, *, audit: bool = False,
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


def secret_names(views: Views) -> Callable[[str], bool]:
    """A test of whether a name is marked confidential in any revision of any story."""
    from storylog.projections.timeline import confidential_keys, identity_key

    keys = confidential_keys(views)
    return lambda name: identity_key(name) in keys


def newest_first(states: Iterable[UpdateState]) -> list[UpdateState]:
    return sorted(states, key=lambda s: (s["stamp"], s["added_position"]), reverse=True)


class Views:
    """Read-side questions about the stories in one database."""

    def __init__(self, app: StoryApp, *, catch_up: bool = True):
        if catch_up:
            app.catch_up()
        assert app.sql is not None
        self.sql: Sql = app.sql
        self.app: StoryApp | None = app

    @classmethod
    def over(cls, sql: Sql) -> Views:
        """Views on read models already known to be current (``projections.current``)."""
        views = cls.__new__(cls)
        views.sql, views.app = sql, None
        return views

    def latest_checkpoint(self) -> dict[str, Any] | None:
        """The newest checkpoint this store signed, as {seq, hash}."""
        if self.app is not None:
            from storylog.app.service import latest_checkpoint

            return latest_checkpoint(self.app)
        import sqlite3

        try:
            rows = self.sql.fetchall(
                "SELECT seq, hash FROM storylog_checkpoints ORDER BY seq DESC LIMIT 1")
        except sqlite3.OperationalError:
            return None  # no checkpoint signed yet: the table is made with the first
        return {"seq": rows[0]["seq"], "hash": rows[0]["hash"]} if rows else None

    # -- stories ------------------------------------------------------------------

    def story(self, slug: str) -> Any:
        rows = self.sql.fetchall("SELECT * FROM rm_stories WHERE slug = ?", (slug,))
        if not rows:
            raise NotFound(f"no story {slug!r}; see `storylog stories`")
        return rows[0]

    def head_position(self, story_id: str) -> int:
        rows = self.sql.fetchall(
            "SELECT MAX(position) AS p FROM rm_events WHERE story_id = ?", (story_id,))
        return int(rows[0]["p"] or 0)

    def versions(self, slug: str) -> list[dict[str, Any]]:
        story = self.story(slug)
        return [dict(r) for r in self.sql.fetchall(
            "SELECT version, position, recorded_at, editor, note, head FROM rm_versions "
            "WHERE story_id = ? ORDER BY version", (story["story_id"],))]

    def version(self, slug: str, number: int) -> dict[str, Any]:
        versions = self.versions(slug)
        if not 1 <= number <= len(versions):
            have = f"1 to {len(versions)}" if versions else "none yet"
            raise NotFound(f"{slug} has no published version {number} (published: {have})")
        return versions[number - 1]

    # -- the story at a point ---------------------------------------------------------

    def updates_at(
        self, story_id: str, position: int, update_ids: Iterable[str] | None = None
    ) -> dict[str, UpdateState]:
        """Every update (or the given ones) as it stood at ``position``."""
        query = ("SELECT * FROM rm_revisions WHERE story_id = ? AND position <= ?")
        params: list[Any] = [story_id, position]
        if update_ids is not None:
            ids = list(update_ids)
            if not ids:
                return {}
            query += f" AND update_id IN ({','.join('?' * len(ids))})"
            params += ids
        by_update: dict[str, list[Any]] = {}
        for row in self.sql.fetchall(query + " ORDER BY update_id, revision", params):
            by_update.setdefault(row["update_id"], []).append(row)
        return {uid: fold_update(rows) for uid, rows in by_update.items()}

    def takedowns(self, story_id: str) -> dict[str, dict[str, Any]]:
        """Updates taken down, at any time: a takedown hides them from every version."""
        return {r["update_id"]: {"grounds": r["note"], "at": r["recorded_at"],
                                 "erased": bool(r["erased"]), "position": r["position"]}
                for r in self.sql.fetchall(
                    "SELECT update_id, note, recorded_at, erased, position FROM rm_revisions "
                    "WHERE story_id = ? AND action = 'taken-down'", (story_id,))}

    def states_at(self, story_id: str, position: int,
                  update_ids: Iterable[str] | None = None) -> dict[str, UpdateState]:
        """``updates_at`` with every takedown applied, whenever it happened."""
        states = self.updates_at(story_id, position, update_ids)
        for uid, takedown in self.takedowns(story_id).items():
            if uid in states:
                states[uid]["taken_down"] = {"grounds": takedown["grounds"],
                                             "at": takedown["at"]}
                states[uid]["erased"] = states[uid]["erased"] or takedown["erased"]
        return states

    def details_at(self, story_id: str, position: int) -> dict[str, str]:
        details = {"headline": "", "standfirst": ""}
        for row in self.sql.fetchall(
            "SELECT headline, standfirst FROM rm_details WHERE story_id = ? AND position <= ? "
            "ORDER BY position", (story_id, position)):
            for field in details:
                if row[field] is not None:
                    details[field] = row[field]
        return details

    def view(self, slug: str, *, version: int | None = None,
             position: int | None = None, audit: bool = False) -> dict[str, Any]:
        """The shape of `show --json`: the working copy, a version, or a position."""
        story = self.story(slug)
        sid = story["story_id"]
        if version is not None:
            position = self.version(slug, version)["position"]
        if position is None:
            position = self.head_position(sid)
        readers = secret_names(self) if version is not None and not audit else None
        published = self.sql.fetchall(
            "SELECT COUNT(*) AS n FROM rm_versions WHERE story_id = ? AND position <= ?",
            (sid, position))[0]["n"]
        return {
            "slug": slug,
            **self.details_at(sid, position),
            "tz": story["tz"],
            "lang": story["lang"],
            "version": version,
            "published_versions": int(published),
            "position": position,
            "updates": [public_update(s, audit=audit, readers=readers) for s in
                        newest_first(self.states_at(sid, position).values())],
        }

    def version_at_time(self, slug: str, moment: str) -> int:
        """The version the page showed at ``moment``: the last published before it."""
        story = self.story(slug)
        rows = self.sql.fetchall(
            "SELECT MAX(version) AS v FROM rm_versions WHERE story_id = ? AND recorded_at <= ?",
            (story["story_id"], self.utc(moment, story["tz"])))
        if rows[0]["v"] is None:
            raise NotFound(f"{slug} had no published version at {moment}")
        return int(rows[0]["v"])

    def position_known_at(self, slug: str, moment: str) -> int:
        """The last position the newsroom had recorded by ``moment``."""
        story = self.story(slug)
        rows = self.sql.fetchall(
            "SELECT MAX(position) AS p FROM rm_events WHERE story_id = ? AND recorded_at <= ?",
            (story["story_id"], self.utc(moment, story["tz"])))
        if rows[0]["p"] is None:
            raise NotFound(f"{slug} did not exist yet at {moment}")
        return int(rows[0]["p"])

    @staticmethod
    def utc(moment: str, tz: str) -> str:
        """A time given by a user (ISO, with or without zone; no zone = the story's)."""
        try:
            parsed = datetime.fromisoformat(moment.strip().replace(" ", "T", 1))
        except ValueError:
            raise RefusedInput(
                f"time {moment!r} is not understood; write it as 'YYYY-MM-DD HH:MM' "
                "(the story's zone) or ISO 8601 with a zone"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(tz))
        try:
            return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        except OverflowError:  # e.g. 0001-01-01 00:00 east of UTC: before year 1 in UTC
            raise RefusedInput(f"time {moment!r} is out of range; give a year from 2 to "
                               "9998") from None

    # -- the audit trail -----------------------------------------------------------------

    def log(self, slug: str, update_id: str | None = None, *,
            patch: bool = False) -> list[dict[str, Any]]:
        """The audit trail; with ``patch``, each add and edit carries what it changed
        in the update's text, sources, status, stamp and media (``diff``)."""
        story = self.story(slug)
        query = "SELECT * FROM rm_events WHERE story_id = ?"
        params: list[Any] = [story["story_id"]]
        if update_id is not None:
            query += " AND update_id = ?"
            params.append(update_id)
        entries = [_log_entry(r) for r in self.sql.fetchall(query + " ORDER BY position", params)]
        if update_id is not None and not entries:
            raise NotFound(f"{slug} has no update {update_id!r}; see `storylog show {slug}`")
        if patch:
            from storylog.projections.diff import revision_changes

            changes: dict[str, dict[int, Any]] = {}
            for entry in entries:
                if entry["event"] not in ("UpdateAdded", "UpdateEdited"):
                    continue
                if entry["update"] not in changes:
                    changes[entry["update"]] = revision_changes(
                        self, story["story_id"], entry["update"])
                entry["diff"] = changes[entry["update"]].get(entry["revision"], {})
        return entries

    def slugs(self) -> list[str]:
        return [r["slug"] for r in self.sql.fetchall(
            "SELECT s.slug FROM rm_stories s JOIN rm_events e ON e.story_id = s.story_id "
            "AND e.position = 1 ORDER BY e.notification_id")]

    def summaries(self) -> list[dict[str, Any]]:
        rows = self.sql.fetchall(
            "SELECT s.slug, s.headline, s.story_id, "
            "(SELECT COUNT(*) FROM rm_revisions r WHERE r.story_id = s.story_id "
            " AND r.revision = 1) AS updates, "
            "(SELECT COUNT(*) FROM rm_revisions r WHERE r.story_id = s.story_id "
            " AND r.action = 'retracted') AS retracted, "
            "(SELECT COUNT(*) FROM rm_versions v WHERE v.story_id = s.story_id) AS versions, "
            "(SELECT MAX(position) FROM rm_events e WHERE e.story_id = s.story_id) AS position, "
            "(SELECT MAX(recorded_at) FROM rm_events e WHERE e.story_id = s.story_id) AS last, "
            "(SELECT MIN(notification_id) FROM rm_events e WHERE e.story_id = s.story_id) AS n "
            "FROM rm_stories s ORDER BY n")
        return [{"slug": r["slug"], "headline": r["headline"], "updates": int(r["updates"]),
                 "retracted": int(r["retracted"]), "published_versions": int(r["versions"]),
                 "position": int(r["position"]), "last_change": r["last"]} for r in rows]


def _log_entry(row: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "position": row["position"], "recorded_at": row["recorded_at"],
        "editor": row["editor"], "event": row["type"], "command_id": row["command_id"],
    }
    for column, key in (("update_id", "update"), ("kind", "kind"), ("reason", "reason"),
                        ("note", "note"), ("version", "version"), ("revision", "revision")):
        if row[column] is not None:
            entry[key] = row[column]
    if row["type"] in ("UpdateEdited", "UpdateRetracted"):
        entry["base_revision"] = row["revision"] - 1
    entry["changed"] = row["changed"].split(",") if row["changed"] else []
    return entry
