"""Backups that respect erasure: events and keys apart, restore, the erasure report,
and moving a store's keys out of its events database.

See docs/records.md for the policy these carry out, in plain words.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from storylog.app.archive import Archive
from storylog.app.service import StoryApp
from storylog.domain.story import story_id
from storylog.errors import RefusedInput, StoreUnavailable, VerificationFailed
from storylog.store import backup as files
from storylog.store import checkpoint_records, public_log
from storylog.store.backends import is_postgres
from storylog.store.keystore import (
    drop_inside,
    home,
    move_home,
    new_id,
    now,
    open_key_database,
    pair,
    shown,
)
from storylog.store.sealing import KeyStore

DEFAULT_RETENTION_DAYS = 35


# -- backups -------------------------------------------------------------------


def backup_events(app: StoryApp, dest: Path) -> dict[str, Any]:
    """Write a consistent copy of the events (no key, no read model), the checkpoints
    and the public log to ``dest``."""
    store_id = app.keys.store_id(create=True) or ""
    checkpoints = checkpoint_records.any_kept(app.sql)
    made_at = now()
    with files.new_file(dest, files.EVENTS_SCHEMA) as out:
        count = files.copy_events(app.db, out, checkpoints=checkpoints,
                                  public_tables=public_log.kept_tables(app.sql))
        info = {"kind": "events", "made_at": made_at, "store_id": store_id,
                "source": shown(app.db), "events": str(count)}
        files.write_meta(out, info)
    return {"file": str(dest), "made_at": made_at, "events": count, "store_id": store_id}


def backup_keys(app: StoryApp, dest: Path, retention_days: int) -> dict[str, Any]:
    """Write every key (and erasure tombstone) to ``dest`` and record the backup."""
    if retention_days < 1:
        raise RefusedInput("--retention must be at least 1 day")
    keys = app.keys
    store_id = keys.store_id(create=True) or ""
    rows = keys.rows()
    made = datetime.now(UTC).replace(microsecond=0)
    record = {"backup_id": new_id()[:12], "dest": str(dest.resolve()),
              "made_at": made.isoformat(),
              "expires_at": (made + timedelta(days=retention_days)).isoformat()}
    with files.new_file(dest, files.KEYS_SCHEMA) as out:
        files.write_keys(out, rows)
        files.write_meta(out, {"kind": "keys", "store_id": store_id,
                               "backup_id": record["backup_id"], "made_at": record["made_at"],
                               "expires_at": record["expires_at"]})
    held = [key for key, secret, _ in rows if secret is not None]
    files.record_key_backup(keys.sql, record, held)
    return record


# -- restore -------------------------------------------------------------------


def restore(events_file: Path, keys_file: Path, db: str, keys: str | None) -> dict[str, Any]:
    """Put an events backup and a key backup into a new store, then verify it."""
    events = files.open_backup(events_file, "events")
    key_rows = files.open_backup(keys_file, "keys")
    theirs, ours = files.meta(key_rows), files.meta(events)
    if theirs.get("store_id") != ours.get("store_id"):
        raise RefusedInput(f"{keys_file} holds the keys of another store than {events_file} "
                           f"(key store {theirs.get('store_id')}, not {ours.get('store_id')})")
    _refuse_missing_keys(events, key_rows, keys_file)
    _refuse_existing(db, "--db")
    if keys is not None:
        _refuse_existing(keys, "--keys")
    app = StoryApp(db, keys=keys)
    try:
        app.keys.set_store_id(ours["store_id"])
        if app.keys.apart:
            pair(app.sql, app.keys)
        app.keys.put_rows(files.backed_up_keys(key_rows))
        count = _put_events(app, events)
        app.catch_up()  # an erasure the events record, but the key backup predates, ends here
        app.scrub()
        problems = _problems(app)
        if problems:
            raise VerificationFailed(f"the restored store {shown(db)} does not verify: "
                                     f"{problems[0]}")
        return {"db": shown(db), "keys": shown(keys) if keys else "inside the events database",
                "events": count, "stories": len(app.slugs()),
                "events_backup_made_at": ours.get("made_at"),
                "key_backup_made_at": theirs.get("made_at")}
    finally:
        app.close()
        events.close()
        key_rows.close()


def _refuse_missing_keys(events: files.BackupFile, key_rows: files.BackupFile,
                         keys_file: Path) -> None:
    """A key backup older than the events lacks the keys of later updates: restoring it
    would show them as erased, and a later edit would make them a key of its own."""
    import orjson

    have = files.backed_up_key_ids(key_rows)
    for batch in files.backed_up_events(events):
        for _, _, _, state in batch:
            sealed = orjson.loads(state).get("sealed")
            if sealed and sealed["key"] not in have:
                raise RefusedInput(
                    f"{keys_file} lacks the key of {sealed['key']} (made before that update); "
                    "give a key backup made after the events backup (nothing was changed)")


def _refuse_existing(location: str, option: str) -> None:
    if not is_postgres(location):
        if Path(location).expanduser().exists():
            raise RefusedInput(f"{option} {location} already exists; restore only into a new "
                               "store (nothing was changed)")
        return
    if files.holds_a_store(location):
        raise RefusedInput(f"{option} {shown(location)} already holds a store; restore "
                           "only into a new one (nothing was changed)")


def _put_events(app: StoryApp, events: files.BackupFile) -> int:
    count = 0
    for batch in files.backed_up_events(events):
        app.event_log.insert([StoredEvent(UUID(s), p, t, bytes(b)) for s, p, t, b in batch])
        count += len(batch)
    snapshots = [StoredEvent(UUID(s), p, t, bytes(b))
                 for s, p, t, b in files.backed_up_snapshots(events)]
    if snapshots:
        assert app.snapshots is not None
        app.snapshots.recorder.insert_events(snapshots)
    checkpoint_records.put(app.sql, files.backed_up_checkpoints(events))
    records, heads = files.backed_up_public_log(events)
    if records or heads:
        public_log.put(app.sql, records, heads)
    return count


def _problems(app: StoryApp) -> list[str]:
    from storylog.store.verify import check_all

    archive = Archive(app)
    problems = [r.problem for r in check_all(archive.chains()) if r.problem]
    return problems or archive.derived_problems()


# -- the erasure report ----------------------------------------------------------


def erasure_report(app: StoryApp) -> dict[str, Any]:
    """Which recorded key backups still hold a key that an erasure destroyed."""
    names = {str(story_id(slug)): slug for slug in app.slugs()}
    erased = {key: at for key, secret, at in app.keys.rows() if secret is None}
    today = datetime.now(UTC).isoformat()
    backups = []
    for record in files.key_backups(app.keys.sql):
        held = sorted(erased.keys() & record["ids"])
        if not held:
            continue
        backups.append({
            "backup_id": record["backup_id"], "file": record["dest"],
            "made_at": record["made_at"], "expires_at": record["expires_at"],
            "expired": record["expires_at"] <= today,
            "erased_keys": [_erased(key, erased[key], names) for key in held],
        })
    return {"key_store": app.keys.location or "inside the events database",
            "erased_keys": len(erased), "backups": backups}


def _erased(key: str, at: str | None, names: dict[str, str]) -> dict[str, Any]:
    story, _, update = key.partition("/")
    return {"story": names.get(story, story), "update": update, "erased_at": at}


# -- moving keys out -------------------------------------------------------------


def move_keys(db: str, dest: str) -> dict[str, Any]:
    """Move a store's keys from its events database to ``dest``: copy, check that every
    sealed envelope opens with the copy, then delete them from the events database,
    overwriting their bytes. A crash at any step leaves the store working: before the
    last step with its keys inside, after it with its keys in ``dest``."""
    try:
        app = StoryApp(db)  # opened with its keys inside; refused if they already moved
    except StoreUnavailable:
        return _finish_move(db, dest)
    try:
        target = KeyStore(open_key_database(dest), location=shown(dest), url=dest)
        try:
            store_id = app.keys.store_id(create=True)
            theirs = target.store_id()
            if theirs not in (None, store_id) or (theirs is None and target.count()):
                raise RefusedInput(f"{shown(dest)} holds another store's keys; give a new "
                                   "key store")
            target.set_store_id(store_id or "")
            target.put_rows(app.keys.rows())
            files.copy_key_backup_records(app.sql, target.sql)
            checked = _check_envelopes(app, target)
            moved = move_home(app.sql, target)
            app.scrub()  # the deleted keys' pages, free pages and WAL overwritten
            drop_inside(app.sql)
        finally:
            target.close()
    finally:
        app.close()
    return {"keys": moved, "envelopes_checked": checked, "to": shown(dest),
            "store_id": store_id}


def _finish_move(db: str, dest: str) -> dict[str, Any]:
    """A move already made (or stopped after its switch): make sure nothing is left."""
    app = StoryApp(db, keys=dest)  # refused unless the keys are in dest
    try:
        drop_inside(app.sql)
        app.scrub()
        return {"keys": 0, "envelopes_checked": 0, "to": shown(dest),
                "store_id": app.keys.store_id(), "already": True}
    finally:
        app.close()


def _check_envelopes(app: StoryApp, target: KeyStore) -> int:
    """Open every sealed envelope with the copied keys; an erased one must stay erased."""
    import orjson

    checked = 0
    for _, rows in Archive(app).chains():
        for row in rows:
            envelope = orjson.loads(row.state).get("sealed")
            if not envelope:
                continue
            before = app.keys.open(envelope)
            try:
                after = target.open(envelope)
            except Exception:
                after = ...
            if after != before:
                raise VerificationFailed(f"the copied key {envelope['key']} does not open its "
                                         "content; the keys were left where they were")
            checked += 1
    return checked


def where_keys(app: StoryApp) -> dict[str, Any]:
    found = home(app.sql)
    return {"apart": app.keys.apart,
            "location": app.keys.location or "inside the events database",
            "store_id": app.keys.store_id(), "keys": app.keys.count(),
            "moved_at": found["moved_at"] if found else None,
            "backups": len(files.key_backups(app.keys.sql))}


def refuse_unless_store(db: str) -> None:
    if not is_postgres(db) and not Path(db).expanduser().exists():
        raise StoreUnavailable(f"no storylog database at {db}")
