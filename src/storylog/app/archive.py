"""The store as an archive: verifying it, signing checkpoints of it, moving it.

``Archive`` checks every chain and every copy made from them (snapshots, read models),
signs checkpoints of every chain's head and holds a store to a checkpoint log, and
exports and loads whole stores or single stories, exactly (keys included) or redacted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from storylog.app.service import StoryApp, first_line
from storylog.domain.story import Story, story_id
from storylog.errors import Conflict, NotFound, RefusedInput, VerificationFailed
from storylog.store import checkpoint_records, public_log
from storylog.store.eventlog import RawRow, WrittenMeanwhile, uuid_or_text
from storylog.store.readmodel.questions import ReadStore
from storylog.store.sealing import key_id

# Advice after a failed check must never destroy evidence: a rebuild replaces the copies
# that may be the only local sign of tampering (a deleted last event leaves every chain
# valid; only the read models and snapshots still show it).
KEEP_EVIDENCE = ("copy the database aside first and keep the copy as evidence, then "
                 "compare it with a backup or an export; run `storylog rebuild` only after that")


class Archive:
    """Verifying, exporting and loading whole stories: the store as an archive."""

    def __init__(self, app: StoryApp):
        self.app = app

    def chain_ids(self) -> list[UUID | str]:
        """Every chain's id (each story's, and the source registry's); one that is not a
        UUID (a damaged row) is kept as its text, so that verification names it."""
        return self.app.event_log.chain_ids()

    def chains(self, slug: str | None = None) -> Iterator[tuple[str, list[StoredEvent]]]:
        ids: list[UUID | str] = [story_id(slug)] if slug else self.chain_ids()
        for sid in ids:
            rows = self.chain_rows(sid)
            if slug and not rows:
                raise NotFound(f"no story {slug!r}; see `storylog stories`")
            yield _label(rows, sid), rows

    def chain_rows(self, chain_id: UUID | str) -> list[StoredEvent]:
        """One chain's stored rows in position order, a damaged one's too."""
        return self.app.event_log.chain_rows(chain_id)

    def derived_problems(self) -> list[str]:
        """Copies outside the chain (snapshots, read models) that the events do not give.

        These read the rows back through the application (by index, decoded), so a
        damaged page the chain check read past (an index entry whose story id is no
        longer hex, say) surfaces here as a value that cannot be decoded: that is damage
        to report, not a bug."""
        try:
            return self.snapshot_problems() + self.read_model_problems()
        except (ValueError, KeyError, TypeError) as error:
            return [f"the stored rows cannot be read back whole ({first_line(error)}): the "
                    f"database file is damaged; {KEEP_EVIDENCE}"]

    def snapshot_problems(self) -> list[str]:
        """Each snapshot must equal the story replayed from its events to that position."""
        problems = []
        assert self.app.snapshots is not None
        for sid in self.chain_ids():
            snapshots = {s.originator_version: s for s in
                         self.app.snapshots.recorder.select_events(sid)}
            if not snapshots:
                continue
            story: Any = None
            rows = self.chain_rows(sid)
            for row in rows:
                story = self.app.event_of(row).mutate(story)
                snapshot = snapshots.get(row.originator_version)
                if snapshot is not None and isinstance(story, Story):
                    taken: Any = self.app.snapshots.mapper.to_domain_event(snapshot)
                    if _comparable(taken.mutate(None)) != _comparable(story):
                        problems.append(
                            f"{_label(rows, sid)}: the snapshot at event "
                            f"{row.originator_version} does not match the events (the "
                            f"snapshot or the events were altered); {KEEP_EVIDENCE}")
        return problems

    def read_model_problems(self) -> list[str]:
        """The read models must equal read models rebuilt from the events elsewhere."""
        import tempfile
        from pathlib import Path

        from storylog.store.readmodel.schema import TABLES

        self.app.catch_up()
        # In this store's order, so that the fold meets the source registry's merges
        # between the same stories' events as here.
        lines = [orjson.loads(line) for what, line in self.export() if what == "event"]
        if not lines:
            return []
        with tempfile.TemporaryDirectory() as scratch_dir:
            scratch = StoryApp(str(Path(scratch_dir) / "check.db"))
            try:
                Archive(scratch).load(lines)
                scratch.catch_up()
                problems = []
                for table in TABLES:
                    try:
                        ours = _dump(self.app, table)
                    except UnicodeDecodeError:  # a damaged schema: names not UTF-8
                        problems.append(f"the read model {table} is unreadable (damaged); "
                                        f"{KEEP_EVIDENCE}")
                        continue
                    if ours != _dump(scratch, table):
                        problems.append(
                            f"the read model {table} does not match the events (it was "
                            f"altered, or events were deleted and it is the only trace of "
                            f"them); {KEEP_EVIDENCE}")
                return problems
            finally:
                scratch.close()

    def taken_down_keys(self) -> tuple[frozenset[str], frozenset[str]]:
        """The keys of every taken-down update: (erased, held for auditors)."""
        self.app.catch_up()
        takedowns = ReadStore(self.app.sql).takedowns_everywhere()
        erased = frozenset(key_id(story, update) for story, update, gone in takedowns if gone)
        held = frozenset(key_id(story, update) for story, update, gone in takedowns if not gone)
        return erased, held

    # -- moving a store: export and load ---------------------------------------------

    def export(self, slug: str | None = None, *,
               redacted: bool = False) -> Iterator[tuple[str, bytes]]:
        """A story's events, or (no slug) every chain's events in the order this store
        recorded them, then its record of the checkpoints it signed and its public log,
        as NDJSON lines ("event" | "checkpoint" | "public-log" | "header", line). Exact
        unless ``redacted``: every key but an erased update's, so a load gives this store
        back."""
        from storylog.store.transfer import (
            checkpoint_line,
            event_line,
            public_record_line,
            redacted_header,
            redacted_line,
            tree_head_line,
        )

        erased, held = self.taken_down_keys()
        erased_at = {k: str(at) for k, secret, at in self.app.keys.rows()
                     if secret is None and k in erased and at} if erased and not redacted else {}
        if redacted:
            yield "header", redacted_header()
        for label, sid, position, topic, state in self._recorded(slug):
            if redacted:
                line = redacted_line(label, sid, position, topic, state, self.app.keys,
                                     erased | held)
            else:
                line = event_line(label, sid, position, topic, state, self.app.keys,
                                  erased=erased, held=held, erased_at=erased_at)
            yield "event", line
        if slug is None and not redacted:
            for row in checkpoint_records.lines(self.app.sql):
                yield "checkpoint", checkpoint_line(row["seq"], row["hash"], row["line"])
            for record in public_log.records(self.app.sql):
                yield "public-log", public_record_line(*record)
            for head in public_log.heads(self.app.sql):
                yield "public-log", tree_head_line(*head)

    def _recorded(self, slug: str | None) -> Iterator[tuple[str, str, int, str, bytes]]:
        """(label, chain id, position, topic, state) of one story's events, or of every
        event in the store's order, read in batches."""
        if slug is not None:
            for label, rows in self.chains(slug):
                for row in rows:
                    yield (label, str(row.originator_id), row.originator_version, row.topic,
                           row.state)
            return
        labels: dict[str, str] = {}
        start = 1
        while batch := self.app.event_log.raw_rows(start, 2000):
            for raw in batch:
                if raw.story_id not in labels:
                    labels[raw.story_id] = _export_label(raw)
                yield labels[raw.story_id], raw.story_id, raw.position, raw.topic, raw.state
            start = batch[-1].id + 1

    def heads(self) -> list[Any]:
        """Every chain's verified head, for a checkpoint; refuses if a chain is broken."""
        from storylog.store.checkpoints import ChainHead
        from storylog.store.verify import check_chain

        heads = []
        for sid in self.chain_ids():
            rows = self.chain_rows(sid)
            name = _label(rows, sid)
            report = check_chain(name, rows)
            if not report.ok:
                raise VerificationFailed(f"will not sign a broken chain: {report.problem}")
            heads.append(ChainHead(str(sid), name, report.events, report.head))
        return heads

    def recorded_checkpoints(self) -> dict[int, tuple[str, str]]:
        """The checkpoints this store recorded signing: seq -> (hash, how it is known)."""
        return {seq: (signed, "the store recorded signing it")
                for seq, signed in checkpoint_records.hashes(self.app.sql).items()}

    def checkpoint(self, key: Any, log: Any) -> dict[str, Any]:
        """Sign every chain's head, append it to the log, remember it for publishing.

        Refused when the log lacks a checkpoint the store recorded signing: signing on
        would restart the sequence over history already signed. (Publications' pins are
        not counted here: a story loaded from another newsroom pins checkpoints of a log
        this store never had; `verify --checkpoints` holds a log to them.)"""
        from storylog.store.checkpoints import checkpoint_hash, sign

        recorded = self.recorded_checkpoints()
        line = sign(self.heads(), key, log, recorded)
        body = line["checkpoint"]
        checkpoint_records.record(self.app.sql, body["seq"], checkpoint_hash(body),
                                  orjson.dumps(line).decode())
        return line

    def check_checkpoints(self, lines: list[dict[str, Any]], public: Any,
                          log: Any = "the log") -> list[str]:
        """What is wrong between a checkpoint log, its key and this store: the chains
        must hold what every checkpoint signed, and the log every checkpoint the store
        recorded signing or a publication pins (a truncated log hides nothing)."""
        from storylog.store.checkpoints import check_log, missing_from_log
        from storylog.store.verify import check_chain

        heads: dict[str, dict[int, str]] = {}
        recorded = self.recorded_checkpoints()
        for sid in self.chain_ids():
            rows = self.chain_rows(sid)
            heads[str(sid)] = check_chain(str(sid), rows).hashes
            _gather_pins(_label(rows, sid), rows, recorded)
        return check_log(lines, public, heads) + missing_from_log(lines, recorded, log)

    def load(self, lines: list[dict[str, Any]],
             checkpoints: list[dict[str, Any]] | None = None,
             public: tuple[list[public_log.RecordRow], list[public_log.HeadRow]] = ([], [])
             ) -> dict[str, int]:
        """Insert a checked file's chains (and the checkpoint records and public log of
        the store it came from), all or nothing, keeping the file's order of events
        across chains (the store's own order, in an export of every story)."""
        from storylog.store.transfer import keys_of, rows_of, tombstones_of

        stories = rows_of(lines)
        keys = keys_of(lines)
        tombstones = tombstones_of(lines)
        for label, rows in stories.items():
            if self.holds(rows[0].originator_id):
                raise RefusedInput(_already_here(label))
        if checkpoints and self.recorded_checkpoints():
            raise RefusedInput("this store has signed checkpoints of its own, and the file "
                               "carries another store's; load it into a fresh store; nothing "
                               "was loaded")
        records, tree_heads = public
        if (records or tree_heads) and (public_log.records(self.app.sql)
                                        or public_log.heads(self.app.sql)):
            raise RefusedInput("this store has a public log of its own, and the file carries "
                               "another store's; load it into a fresh store; nothing was "
                               "loaded")
        rows = _in_file_order(lines, stories)
        added = self.app.keys.put_many(keys)
        put_public = False
        try:
            self.app.keys.put_rows(tombstones)  # erasures stay erasures, with their time
            added += [key for key, _, _ in tombstones]
            if checkpoints:
                checkpoint_records.put(self.app.sql, [
                    (r["seq"], r["hash"], orjson.dumps(r["signed"]).decode())
                    for r in checkpoints])
            if records or tree_heads:
                public_log.put(self.app.sql, records, tree_heads)
                put_public = True
            self.app.event_log.insert(rows)
        except BaseException as error:
            self.app.keys.remove_unused(added)  # the store is left as it was
            checkpoint_records.take_back(self.app.sql, [r["seq"] for r in checkpoints or []])
            if put_public:
                public_log.take_back(self.app.sql, [r[0] for r in records],
                                     [h[0] for h in tree_heads])
            if isinstance(error, WrittenMeanwhile):
                raise Conflict("a story in the file was written meanwhile; none loaded") from None
            raise
        return {slug: len(r) for slug, r in stories.items()}

    def holds(self, chain_id: UUID | str) -> bool:
        """Does this store hold a chain (a story, or the source registry) of this id?"""
        return bool(self.app.recorder.select_events(UUID(str(chain_id)), lte=1))


def _already_here(label: str) -> str:
    from storylog.store.transfer import REGISTRY_LABEL

    if label == REGISTRY_LABEL:
        return ("this store already has a source registry (source merges of its own); a "
                "file with another store's registry loads only into a store without one; "
                "nothing was loaded")
    return f"story {label} is already in this store; nothing was loaded"


def _in_file_order(lines: list[dict[str, Any]],
                   stories: dict[str, list[StoredEvent]]) -> list[StoredEvent]:
    """Every chain's rows in the order the file gives its events (an export gives the
    store's order): the k-th of a chain's rows, by position, takes the place of the
    chain's k-th line in the file, so each chain still goes up one position at a time."""
    places: dict[str, list[int]] = {}
    for place, line in enumerate(lines):
        places.setdefault(line["story"], []).append(place)
    ranked = [(place, row) for label, rows in stories.items()
              for place, row in zip(places[label], rows, strict=True)]
    return [row for _, row in sorted(ranked, key=lambda pair: pair[0])]


def _export_label(row: RawRow) -> str:
    """A chain's label in an export, from its first row read."""
    from storylog.domain.registry import REGISTRY_ID
    from storylog.store.transfer import REGISTRY_LABEL

    if row.story_id == str(REGISTRY_ID):
        return REGISTRY_LABEL
    stored = StoredEvent(originator_id=uuid_or_text(row.story_id),
                         originator_version=row.position, topic=row.topic, state=row.state)
    return _label([stored], uuid_or_text(row.story_id)) if row.position == 1 \
        else f"story {row.story_id}"


def _gather_pins(name: str, rows: list[StoredEvent],
                 pins: dict[int, tuple[str, str]]) -> None:
    """Add the checkpoints a chain's publications pin (the first pin of each seq wins)."""
    for row in rows:
        if not row.topic.endswith("VersionPublished"):
            continue
        try:
            payload = orjson.loads(row.state)["payload"]
            ref = payload.get("checkpoint")
            if ref:
                pins.setdefault(int(ref["seq"]), (str(ref["hash"]), (
                    f"published version {payload['version']} of {name} pins it")))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            continue  # a damaged row: the chain check names it
    return


def _dump(app: StoryApp, table: str) -> list[tuple[str, ...]]:
    rows = ReadStore(app.sql).table(table)
    return sorted(tuple(str(v) for k, v in r.items() if k != "notification_id") for r in rows)


def _comparable(story: Any) -> Any:
    """A story's state with every update's content opened, for comparisons."""
    state = story.to_state()
    for update, name in zip(state["updates"], story.order, strict=True):
        content = story.updates[name].content
        update["content"] = content.model_dump(mode="json") if content else None
        if content is None:
            # Erased: where its parts were last set cannot be known once the content
            # cannot be opened (a snapshot taken before the erasure knew it).
            update["content_at"] = None
    return state


def _label(rows: list[StoredEvent], sid: UUID | str) -> str:
    """A chain's name for reports: its slug, but only if the row naming it is intact."""
    import orjson

    from storylog.store.verify import check_chain

    if not rows or not check_chain(str(sid), rows[:1]).ok:
        return f"story {sid}"  # the first row is tampered: do not trust the name in it
    payload = orjson.loads(rows[0].state)["payload"]
    if payload.get("slug"):
        return str(payload["slug"])
    # An internal aggregate (the source registry): in parentheses, which no slug can hold,
    # so a story named like it (allowed before names were reserved) is never confused.
    return f"(internal: {payload.get('name') or sid})"
