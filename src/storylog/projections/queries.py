"""Questions answered from the read models: the story at any point, versions, the log.

Every answer first brings the read models up to date (the application's
``catch_up``), then asks the store's named questions (``store.readmodel.questions``)
and shapes their rows; nothing here replays a story's events.

A plain `show` must start fast (``store.readmodel.current``): what only some answers
need (the names confidential anywhere, word diffs) is imported where it is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from storylog.errors import NotFound, RefusedInput
from storylog.projections.updates import (
    FoldedUpdate,
    fold_update,
    newest_first,
    public_update,
    revision_changes,
)
from storylog.store import checkpoint_records
from storylog.store.readmodel.questions import ReadStore
from storylog.store.sql import Sql


class CatchesUp(Protocol):
    """What the read side needs of the application: its database, and a way to bring
    the read models up to the newest event."""

    @property
    def sql(self) -> Sql | None: ...

    def catch_up(self) -> int: ...


class Views:
    """Read-side questions about the stories in one database."""

    def __init__(self, app: CatchesUp, *, catch_up: bool = True):
        if catch_up:
            app.catch_up()
        assert app.sql is not None
        self.store = ReadStore(app.sql)

    @classmethod
    def over(cls, store: ReadStore) -> Views:
        """Views on read models already known to be current
        (``store.readmodel.current``)."""
        views = cls.__new__(cls)
        views.store = store
        return views

    def latest_checkpoint(self) -> dict[str, Any] | None:
        """The newest checkpoint this store signed, as {seq, hash}."""
        return checkpoint_records.latest(self.store.sql)

    # -- stories ------------------------------------------------------------------

    def story(self, slug: str) -> Any:
        row = self.store.story(slug)
        if row is None:
            raise NotFound(f"no story {slug!r}; see `storylog stories`")
        return row

    def head_position(self, story_id: str) -> int:
        return self.store.head_position(story_id)

    def versions(self, slug: str) -> list[dict[str, Any]]:
        story = self.story(slug)
        return [dict(r) for r in self.store.published_versions(story["story_id"])]

    def version(self, slug: str, number: int) -> dict[str, Any]:
        versions = self.versions(slug)
        if not 1 <= number <= len(versions):
            have = f"1 to {len(versions)}" if versions else "none yet"
            raise NotFound(f"{slug} has no published version {number} (published: {have})")
        return versions[number - 1]

    # -- the story at a point ---------------------------------------------------------

    def updates_at(
        self, story_id: str, position: int, update_ids: Iterable[str] | None = None
    ) -> dict[str, FoldedUpdate]:
        """Every update (or the given ones) as it stood at ``position``."""
        ids = None if update_ids is None else list(update_ids)
        if ids == []:
            return {}
        by_update: dict[str, list[Any]] = {}
        for row in self.store.revisions(story_id, position, ids):
            by_update.setdefault(row["update_id"], []).append(row)
        return {uid: fold_update(rows) for uid, rows in by_update.items()}

    def takedowns(self, story_id: str) -> dict[str, dict[str, Any]]:
        """Updates taken down, at any time: a takedown hides them from every version."""
        return {r["update_id"]: {"grounds": r["note"], "at": r["recorded_at"],
                                 "erased": bool(r["erased"]), "position": r["position"]}
                for r in self.store.takedowns(story_id)}

    def states_at(self, story_id: str, position: int,
                  update_ids: Iterable[str] | None = None) -> dict[str, FoldedUpdate]:
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
        for row in self.store.details(story_id, position):
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
        readers = None
        if version is not None and not audit:  # what readers saw: no confidential source
            from storylog.projections.identities import secret_names

            readers = secret_names(self.store)
        return {
            "slug": slug,
            **self.details_at(sid, position),
            "tz": story["tz"],
            "lang": story["lang"],
            "version": version,
            "published_versions": self.store.published_count(sid, position),
            "position": position,
            "updates": [public_update(s, audit=audit, readers=readers) for s in
                        newest_first(self.states_at(sid, position).values())],
        }

    def version_at_time(self, slug: str, moment: str) -> int:
        """The version the page showed at ``moment``: the last published before it."""
        story = self.story(slug)
        version = self.store.last_version_by(story["story_id"], self.utc(moment, story["tz"]))
        if version is None:
            raise NotFound(f"{slug} had no published version at {moment}")
        return int(version)

    def position_known_at(self, slug: str, moment: str) -> int:
        """The last position the newsroom had recorded by ``moment``."""
        story = self.story(slug)
        position = self.store.last_position_by(story["story_id"],
                                               self.utc(moment, story["tz"]))
        if position is None:
            raise NotFound(f"{slug} did not exist yet at {moment}")
        return int(position)

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
        sid = story["story_id"]
        entries = [_log_entry(r) for r in self.store.events(sid, update_id)]
        if update_id is not None and not entries:
            raise NotFound(f"{slug} has no update {update_id!r}; see `storylog show {slug}`")
        if patch:
            changes: dict[str, dict[int, Any]] = {}
            for entry in entries:
                if entry["event"] not in ("UpdateAdded", "UpdateEdited"):
                    continue
                if entry["update"] not in changes:
                    changes[entry["update"]] = revision_changes(
                        self.store.revisions_of(sid, entry["update"]))
                entry["diff"] = changes[entry["update"]].get(entry["revision"], {})
        return entries

    def slugs(self) -> list[str]:
        return self.store.slugs()

    def summaries(self) -> list[dict[str, Any]]:
        return [{"slug": r["slug"], "headline": r["headline"], "updates": int(r["updates"]),
                 "retracted": int(r["retracted"]), "published_versions": int(r["versions"]),
                 "position": int(r["position"]), "last_change": r["last"]}
                for r in self.store.summaries()]


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
