"""Tamper: every small change to a stored row is caught, with 0 misses.

The store (tests/proof/newsroom.py: a story of 31 events of every kind, a second story of
3, the source registry's 2) is built through the real command line, and a signed
checkpoint of it is taken (`storylog keygen`, `storylog checkpoint`). Then, in this
process, against the rows as stored (read with sqlite3, checked with
storylog.store.verify.check_chain, as `storylog verify` does):

- single-byte changes of every field of every row: originator_version (each of its low
  16 bits), originator_id (each of its 32 hex digits to each of the 15 others), topic
  and state (each byte to each of its 8 one-bit neighbours; and in the first row of
  each of four kinds, Opened, UpdateAdded with sealed content, UpdateEdited and
  VersionPublished with its pinned head, each byte to every one of the 255 other
  values), plus 6,000 random byte values anywhere: about 840,000 changes;
- every deletion of one row, every swap of two rows' contents;
- for each chain and each position, a rewrite of the tail from there with every hash
  (and every published version's pinned head) recomputed, and a truncation there: the
  chains then verify, so these are held to the signed checkpoint (`check_log`, as
  `verify --checkpoints --pubkey` does).

A handful of the same go through the real command line on the real file (`verify` exits
5, and with the checkpoint for the rewrites), and random bit flips in the raw SQLite file
(WAL folded in first) must never change what storylog shows without anyone noticing.
Two ways a damaged file made `verify` fail with an internal error (exit 70) instead of
exit 5 or 6 (an id that is not a UUID, a column name that is not UTF-8) have tests of
their own.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from storylog.store.canonical import GENESIS, event_hash
from storylog.store.checkpoints import check_log, load_public, read_log
from storylog.store.verify import check_chain
from tests.proof.newsroom import SLUG, build_newsroom
from tests.proof.support import assert_fixed, cli_for, integrity, settled_bytes

SEED = 8_400
SAMPLE = 6_000  # random single-byte changes across all rows, besides the exhaustive ones


@dataclass(frozen=True)
class Row:
    oid: UUID
    version: int
    topic: str
    state: bytes


Table = list[Row]


@dataclass
class Newsroom:
    db: str
    key: Path
    log: Path
    table: Table
    lines: list[dict[str, Any]]
    public: Any


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Newsroom]:
    folder = tmp_path_factory.mktemp("tamper")
    db = str(folder / "newsroom.db")
    cli = cli_for(db)
    build_newsroom(cli)
    key, log = folder / "newsroom.key", folder / "checkpoints.ndjson"
    cli.ok("keygen", str(key))
    cli.ok("checkpoint", "--key", str(key), "--log", str(log))
    settled_bytes(db)
    yield Newsroom(db, key, log, read_table(db), read_log(log),
                   load_public(Path(str(key) + ".pub")))


def read_table(db: str) -> Table:
    conn = sqlite3.connect(db)
    try:
        return [Row(UUID(oid), int(v), str(topic), bytes(state)) for oid, v, topic, state in
                conn.execute("SELECT originator_id, originator_version, topic, state FROM "
                             "stored_events ORDER BY rowid")]
    finally:
        conn.close()


def chains_of(table: Table, only: set[UUID] | None = None) -> dict[UUID, list[Any]]:
    from eventsourcing.persistence import StoredEvent

    chains: dict[UUID, list[Any]] = {}
    for row in table:
        if only is None or row.oid in only:
            chains.setdefault(row.oid, []).append(StoredEvent(
                originator_id=row.oid, originator_version=row.version, topic=row.topic,
                state=row.state))
    for rows in chains.values():
        rows.sort(key=lambda r: r.originator_version)
    return chains


def verify_fails(table: Table, touched: set[UUID]) -> bool:
    """Does `storylog verify` fail? (Only the touched chains can have changed.)"""
    return any(not check_chain(str(oid), rows).ok
               for oid, rows in chains_of(table, touched).items())


def checkpoint_fails(room: Newsroom, table: Table) -> bool:
    heads = {str(oid): check_chain(str(oid), rows).hashes
             for oid, rows in chains_of(table).items()}
    return bool(check_log(room.lines, room.public, heads))


def stored(table: Table, row: Row) -> bool:
    """Can the table hold this row next to the others (its primary key is free)?"""
    return not any(r.oid == row.oid and r.version == row.version for r in table)


# -- every single-byte change ----------------------------------------------------------


EVERY_VALUE_KINDS = ["Opened", "UpdateAdded", "UpdateEdited", "VersionPublished"]


def single_byte_changes(table: Table, rng: random.Random
                        ) -> Iterator[tuple[str, int, Row]]:
    """(field, row index, changed row) for every change the module docstring lists."""
    every_value = set(_rows_of_kinds(table, EVERY_VALUE_KINDS))
    for i, row in enumerate(table):
        for bit in range(16):
            changed = replace(row, version=row.version ^ (1 << bit))
            if stored(table, changed):
                yield "originator_version (every bit)", i, changed
        digits = row.oid.hex
        for at in range(32):
            for other in "0123456789abcdef":
                if other != digits[at]:
                    yield "originator_id (every hex digit)", i, replace(
                        row, oid=UUID(digits[:at] + other + digits[at + 1:]))
        if i in every_value:
            how, values = "every value", lambda byte: (v for v in range(256) if v != byte)
        else:
            how, values = "every bit", lambda byte: (byte ^ (1 << bit) for bit in range(8))
        topic = row.topic.encode()
        for at in range(len(topic)):
            for value in values(topic[at]):
                yield f"topic ({how})", i, replace(
                    row, topic=_put(topic, at, value).decode("utf-8", "replace"))
        for at in range(len(row.state)):
            for value in values(row.state[at]):
                yield f"state ({how})", i, replace(row, state=_put(row.state, at, value))
    for _ in range(SAMPLE):
        i = rng.randrange(len(table))
        state = table[i].state
        at = rng.randrange(len(state))
        value = rng.choice([b for b in range(256) if b != state[at]])
        yield "state (random sample)", i, replace(table[i], state=_put(state, at, value))


def _put(data: bytes, at: int, value: int) -> bytes:
    return data[:at] + bytes([value]) + data[at + 1:]


def _rows_of_kinds(table: Table, kinds: list[str]) -> list[int]:
    """The first row of each kind in the first story (content sealed, head pinned, ...)."""
    first = table[0].oid
    found = []
    for kind in kinds:
        found.append(next(i for i, r in enumerate(table)
                          if r.oid == first and r.topic.endswith("." + kind)))
    return found


@pytest.mark.slow
def test_every_single_byte_change_of_a_stored_field_is_caught(newsroom: Newsroom,
                                                              tally) -> None:
    from eventsourcing.persistence import StoredEvent

    t = tally("tamper")
    table = newsroom.table
    assert not verify_fails(table, {r.oid for r in table})
    chains = chains_of(table)
    assert all([r.originator_version for r in rows] == list(range(1, len(rows) + 1))
               for rows in chains.values())
    rng = random.Random(SEED)
    misses: list[str] = []
    per_field: dict[str, int] = {}
    for field, i, changed in single_byte_changes(table, rng):
        row = table[i]
        if (changed.oid, changed.version) == (row.oid, row.version):
            # Only this row's bytes changed: its chain, with it in its place.
            rows = chains[row.oid]
            at = row.version - 1
            caught = not check_chain(str(row.oid), [*rows[:at], StoredEvent(
                originator_id=changed.oid, originator_version=changed.version,
                topic=changed.topic, state=changed.state), *rows[at + 1:]]).ok
        else:
            tampered = [*table[:i], changed, *table[i + 1:]]
            caught = verify_fails(tampered, {row.oid, changed.oid})
        per_field[field] = per_field.get(field, 0) + 1
        t.case(caught, f"missed: {field} of row {i} ({row.topic})")
        if not caught:
            misses.append(f"{field} of row {i}: {changed}")
    t.notes.append(f"single-byte changes per field: {per_field}")
    assert not misses, misses[:10]


# -- deletions and swaps ------------------------------------------------------------------


def last_rows(table: Table) -> set[int]:
    """The index of each chain's last row."""
    top: dict[UUID, int] = {}
    for i, row in enumerate(table):
        if row.oid not in top or row.version > table[top[row.oid]].version:
            top[row.oid] = i
    return set(top.values())


@pytest.mark.slow
def test_every_deleted_row_and_every_swap_of_two_rows_is_caught(newsroom: Newsroom,
                                                                tally) -> None:
    t = tally("tamper")
    table = newsroom.table
    misses = []
    tails = last_rows(table)
    for i, row in enumerate(table):
        tampered = table[:i] + table[i + 1:]
        by_chain = verify_fails(tampered, {row.oid})
        # A chain's last event, deleted, leaves a shorter chain that verifies: only the
        # signed checkpoint, which pinned its head, shows it.
        caught = by_chain or (i in tails and checkpoint_fails(newsroom, tampered))
        t.case(caught, f"deletion of row {i} missed")
        if not caught or (i not in tails and not by_chain):
            misses.append(f"deletion of row {i} ({row.topic})")
    for i in range(len(table)):
        for j in range(i + 1, len(table)):
            a, b = table[i], table[j]
            tampered = list(table)
            tampered[i] = replace(a, topic=b.topic, state=b.state)
            tampered[j] = replace(b, topic=a.topic, state=a.state)
            caught = verify_fails(tampered, {a.oid, b.oid})
            t.case(caught, f"swap of rows {i} and {j} missed")
            if not caught:
                misses.append(f"swap of rows {i} and {j}")
    assert not misses, misses[:10]


# -- rewrites with recomputed hashes, held to the signed checkpoint ----------------------


def forge_tail(rows: list[Row], k: int, change: Callable[[dict[str, Any]], None]) -> list[Row]:
    """Rows k.. of one chain rewritten as a forger who knows the scheme would: the event
    at k changed, and every hash and pinned head from there recomputed."""
    out = [r for r in rows if r.version < k]
    prev = orjson.loads(out[-1].state)["hash"] if out else GENESIS
    for row in (r for r in rows if r.version >= k):
        record = orjson.loads(row.state)
        if row.version == k:
            change(record)
        record["prev"] = prev
        payload = record["payload"]
        if "head" in payload and "version" in payload:
            payload["head"] = prev
        record["hash"] = event_hash(row.topic, str(row.oid), row.version, record)
        prev = record["hash"]
        out.append(replace(row, state=orjson.dumps(record)))
    return out


def mallory(record: dict[str, Any]) -> None:
    record["editor"] = "mallory"


@pytest.mark.slow
def test_every_rewrite_of_a_tail_with_recomputed_hashes_and_every_truncation_is_caught_by_the_signed_checkpoint(  # noqa: E501
    newsroom: Newsroom, tally,
) -> None:
    t = tally("tamper")
    table = newsroom.table
    misses = []
    for oid in dict.fromkeys(r.oid for r in table):
        rows = [r for r in table if r.oid == oid]
        others = [r for r in table if r.oid != oid]
        for k in range(1, len(rows) + 1):
            forged = forge_tail(rows, k, mallory)
            assert not verify_fails(forged, {oid}), "the forgery should verify on its own"
            caught = checkpoint_fails(newsroom, others + forged)
            t.case(caught, f"rewrite of {oid} from {k} missed")
            if not caught:
                misses.append(f"rewrite of {oid} from {k}")
            truncated = others + [r for r in rows if r.version < k]
            caught = checkpoint_fails(newsroom, truncated)
            t.case(caught, f"truncation of {oid} at {k} missed")
            if not caught:
                misses.append(f"truncation of {oid} at {k}")
            # The same rewrite of one row only, without fixing what follows: the chain
            # itself shows it.
            if k < len(rows):
                one = forge_tail(rows, k, mallory)[: k] + rows[k:]
                caught = verify_fails(others + one, {oid})
                t.case(caught, f"rewrite of {oid} at {k} alone missed")
                if not caught:
                    misses.append(f"rewrite of {oid} at {k} alone")
    assert not misses, misses[:10]


# -- a handful through the command line, on the real file --------------------------------


def copy_of(room: Newsroom, folder: Path, name: str) -> str:
    target = folder / f"{name}.db"
    target.write_bytes(settled_bytes(room.db))
    return str(target)


def set_rows(db: str, rows: list[Row], where: list[Row] | None = None) -> None:
    """Overwrite rows in place (their rowids, the notification ids, stay): each of ``rows``
    goes where the row of the same position is, or where the matching ``where`` row is."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for i, row in enumerate(rows):
            at = where[i] if where else row
            conn.execute("UPDATE stored_events SET originator_id = ?, originator_version = ?, "
                         "topic = ?, state = ? WHERE originator_id = ? AND "
                         "originator_version = ?", (row.oid.hex, row.version, row.topic,
                                                    row.state, at.oid.hex, at.version))
    finally:
        conn.close()


def delete_rows(db: str, rows: list[Row]) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for row in rows:
            conn.execute("DELETE FROM stored_events WHERE originator_id = ? AND "
                         "originator_version = ?", (row.oid.hex, row.version))
    finally:
        conn.close()


@pytest.mark.slow
def test_a_handful_of_tamperings_through_the_command_line(newsroom: Newsroom, tmp_path: Path,
                                                          tally) -> None:
    t = tally("tamper")
    table = newsroom.table
    story = [r for r in table if r.oid == table[0].oid]
    rng = random.Random(SEED + 1)
    held = ["--checkpoints", str(newsroom.log), "--pubkey", str(newsroom.key) + ".pub"]

    bad: list[str] = []

    def run(name: str, tamper: Callable[[str], None], *, plain: set[int], checked: int) -> None:
        """``plain``: what `verify` alone may say (a rewrite that fixed every hash, or a
        truncation, verifies on its own, unless the read models give it away)."""
        db = copy_of(newsroom, tmp_path, name)
        tamper(db)
        cli = cli_for(db)
        first = cli("verify")
        second = cli("verify", *held)
        ok = first.exit_code in plain and second.exit_code == checked
        t.case(ok, f"cli {name}: verify {first.exit_code}, with the checkpoint "
                   f"{second.exit_code}: {second.stderr.strip()[:100]}")
        if not ok:
            bad.append(f"{name}: verify {first.exit_code} {first.stderr.strip()[:200]}; "
                       f"with the checkpoint {second.exit_code} {second.stderr.strip()[:200]}")

    run("untouched", lambda db: None, plain={0}, checked=0)
    n = len(story)
    run("tail rewritten", lambda db: set_rows(db, forge_tail(story, n - 3, mallory)[n - 4:]),
        plain={0, 5}, checked=5)
    run("last row deleted", lambda db: delete_rows(db, story[-1:]), plain={0, 5}, checked=5)
    run("middle row deleted", lambda db: delete_rows(db, story[10:11]), plain={5}, checked=5)
    run("two rows swapped", lambda db: set_rows(db, [
        replace(story[4], topic=story[5].topic, state=story[5].state),
        replace(story[5], topic=story[4].topic, state=story[4].state)]), plain={5}, checked=5)
    run("position changed", lambda db: set_rows(db, [replace(story[7], version=99)],
                                                story[7:8]), plain={5}, checked=5)
    for _ in range(6):
        i = rng.randrange(n)
        at = rng.randrange(len(story[i].state))
        changed = replace(story[i], state=_put(story[i].state, at, story[i].state[at] ^ 4))
        run(f"byte {at} of event {i + 1}", lambda db, c=changed: set_rows(db, [c]),
            plain={5}, checked=5)
    assert not bad, bad


@pytest.mark.slow
def test_an_id_changed_to_a_non_hex_byte_is_reported_by_verify_with_exit_5(
    newsroom: Newsroom, tmp_path: Path, tally,
) -> None:
    t = tally("tamper")
    db = copy_of(newsroom, tmp_path, "non-hex-id")
    row = newsroom.table[5]
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE stored_events SET originator_id = ? WHERE originator_id = ? AND "
                 "originator_version = ?", ("g" + row.oid.hex[1:], row.oid.hex, row.version))
    conn.close()
    result = cli_for(db)("verify")
    t.case(result.exit_code == 5, f"non-hex id: verify exit {result.exit_code}: "
                                  f"{result.stderr.strip()[:120]}")
    assert_fixed(result.exit_code == 5, result.stderr)


@pytest.mark.slow
def test_a_read_model_column_name_that_is_not_utf8_is_reported_by_verify(
    newsroom: Newsroom, tmp_path: Path, tally,
) -> None:
    t = tally("tamper")
    db = copy_of(newsroom, tmp_path, "rm-not-utf8")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = CAST(replace(CAST(sql AS BLOB), "
                 "CAST('merged_into' AS BLOB), x'6df9726765645f696e746f') AS TEXT) "
                 "WHERE name = 'rm_sources'")
    changed = conn.total_changes
    conn.close()
    if changed != 1:
        raise RuntimeError("the schema was not changed")
    result = cli_for(db)("verify")
    t.case(result.exit_code in (5, 6), f"a read model column's name not UTF-8: verify exit "
                                       f"{result.exit_code}: {result.stderr.strip()[:120]}",
           )
    assert_fixed(result.exit_code in (5, 6), result.stderr)


# -- random bit flips in the raw file ------------------------------------------------------


def what_storylog_shows(db: str, internal: list[str] | None = None
                        ) -> tuple[str, list[int], dict[str, str]]:
    """('ok', [], outputs) when every command succeeded, else ('error', exit codes, ...);
    the outputs are show --json of the working copy and of every version, log --json,
    and `events --all` (the content as stored in the events, opened)."""
    cli = cli_for(db)
    verify = cli("verify")
    if verify.exit_code == 70 and internal is not None:
        internal.append(f"verify: {verify.stderr.strip()[:160]}")
    if verify.exit_code != 0:
        return "verify", [verify.exit_code], {}
    outputs: dict[str, str] = {}
    codes = []
    commands: list[tuple[str, ...]] = [("events", "--all")]
    for slug, versions in ((SLUG, 3), ("other-story", 1)):
        commands += [("show", slug, "--json"), ("log", slug, "--json")]
        commands += [("show", slug, "--version", str(v), "--json")
                     for v in range(1, versions + 1)]
    for args in commands:
        result = cli(*args)
        codes.append(result.exit_code)
        if result.exit_code == 70 and internal is not None:
            internal.append(f"{args[0]}: {result.stderr.strip()[:160]}")
        outputs[" ".join(args)] = result.stdout
    return ("ok" if not any(codes) else "error"), [c for c in codes if c], outputs


def pages_of(db: str, names: tuple[str, ...]) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        marks = ",".join("?" * len(names))
        return sorted(p for (p,) in conn.execute(
            f"SELECT pageno FROM dbstat WHERE name IN ({marks})", names))
    finally:
        conn.close()


def flip_trials(room: Newsroom, folder: Path, trials: int, seed: int,
                pages: list[int] | None) -> dict[str, Any]:
    rng = random.Random(seed)
    original = settled_bytes(room.db)
    base = folder / "base.db"
    base.write_bytes(original)
    _, _, before = what_storylog_shows(str(base))
    page_size = 4096
    outcome: dict[str, Any] = {"identical": 0, "corruption": 0, "verify": 0, "error": 0,
                               "silent": [], "internal": []}
    for n in range(trials):
        data = bytearray(original)
        for _ in range(rng.randint(1, 3)):
            if pages:
                at = (rng.choice(pages) - 1) * page_size + rng.randrange(page_size)
            else:
                at = rng.randrange(len(data))
            data[at] ^= 1 << rng.randrange(8)
        db = folder / f"flip-{n}.db"
        db.write_bytes(bytes(data))
        try:
            check = integrity(str(db))
        except sqlite3.DatabaseError:
            check = "unreadable"
        kind, _, after = what_storylog_shows(str(db), outcome["internal"])
        if check != "ok":
            outcome["corruption"] += 1
        elif kind == "verify":
            outcome["verify"] += 1
        elif kind == "error":
            outcome["error"] += 1
        elif after == before:
            outcome["identical"] += 1
        else:
            changed = sorted(k for k in after if after[k] != before[k])
            outcome["silent"].append(f"trial {n}: {changed}")
        db.unlink()
        for extra in ("-wal", "-shm"):
            Path(str(db) + extra).unlink(missing_ok=True)
    return outcome


EVENT_PAGES = ("stored_events", "sqlite_autoindex_stored_events_1")


@pytest.mark.slow
def test_bit_flips_in_the_events_pages_of_the_file_never_change_what_is_shown_silently(
    newsroom: Newsroom, tmp_path: Path, tally,
) -> None:
    t = tally("tamper")
    pages = pages_of(newsroom.db, EVENT_PAGES)
    outcome = flip_trials(newsroom, tmp_path, 150, SEED + 2, pages)
    t.cases += 150
    t.failures += len(outcome["silent"])
    t.notes.append(f"bit flips in the events' {len(pages)} pages: "
                   f"{ {k: (len(v) if isinstance(v, list) else v) for k, v in outcome.items()} }")
    t.notes += [f"internal error: {s}" for s in sorted(set(outcome["internal"]))[:5]]
    t.failures += len(outcome["internal"])
    assert not outcome["silent"], outcome["silent"][:10]
    assert not outcome["internal"], outcome["internal"][:10]  # exit 70: a traceback's kin


@pytest.mark.slow
def test_bit_flips_anywhere_in_the_file_never_change_what_is_shown_silently(
    newsroom: Newsroom, tmp_path: Path, tally,
) -> None:
    t = tally("tamper")
    outcome = flip_trials(newsroom, tmp_path, 150, SEED + 3, None)
    t.cases += 150
    t.failures += len(outcome["silent"])
    t.notes.append(f"bit flips anywhere in the file: "
                   f"{ {k: (len(v) if isinstance(v, list) else v) for k, v in outcome.items()} }")
    t.notes += [f"silent: {s}" for s in outcome["silent"][:3]]
    t.notes += [f"internal error: {s}" for s in sorted(set(outcome["internal"]))[:5]]
    t.failures += len(outcome["internal"])
    assert not outcome["silent"], outcome["silent"][:10]
    assert not outcome["internal"], outcome["internal"][:10]  # exit 70: a traceback's kin
