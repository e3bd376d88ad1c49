"""`storylog verify` finds tampering done behind storylog's back, straight in the table.

A small story is built through the real command line; then its rows are changed
with the database driver itself (sqlite3 on the SQLite file, psycopg on
PostgreSQL), as someone with access to the database could. ``verify`` must exit
5 and its one line on stderr must name the story and the first broken event.

The story used throughout (positions are the events' places in the story)::

    1 Opened            s1
    2 UpdateAdded       u1  (ana)
    3 UpdateAdded       u2  (bob)
    4 UpdateAdded       u3  (ana)
    5 UpdateEdited      u2  correction, reason "misread the figure" (cara)
    6 UpdateRetracted   u3  (ana)
    7 VersionPublished  1   (ana)
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
import pytest

from storylog.domain.story import story_id
from storylog.store.canonical import event_hash

if TYPE_CHECKING:
    from conftest import Cli

SLUG = "s1"
EVENTS = 7


# -- the rows, reached with the database's own driver -------------------------


class Rows:
    """One story's stored rows, read and changed without going through storylog."""

    def __init__(self, db: str, slug: str = SLUG):
        self.db = db
        self.sid = story_id(slug)
        self.postgres = db.startswith("postgresql://")
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(db, autocommit=True)
            self.table, self.p, self.id = "storylog_events", "%s", self.sid
        else:
            self.conn = sqlite3.connect(db, isolation_level=None)
            self.table, self.p, self.id = "stored_events", "?", self.sid.hex

    def close(self) -> None:
        self.conn.close()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        cursor = self.conn.execute(sql.replace("?", self.p), params)
        rows = cursor.fetchall() if cursor.description else []
        return list(rows)

    def count(self) -> int:
        return int(self._run(f"SELECT COUNT(*) FROM {self.table} WHERE originator_id = ?",
                             (self.id,))[0][0])

    def topic(self, position: int) -> str:
        return str(self._run(
            f"SELECT topic FROM {self.table} WHERE originator_id = ? AND originator_version = ?",
            (self.id, position),
        )[0][0])

    def state(self, position: int) -> bytes:
        return bytes(self._run(
            f"SELECT state FROM {self.table} WHERE originator_id = ? AND originator_version = ?",
            (self.id, position),
        )[0][0])

    def record(self, position: int) -> dict[str, Any]:
        return dict(orjson.loads(self.state(position)))

    def set_state(self, position: int, state: bytes) -> None:
        self._run(
            f"UPDATE {self.table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self.id, position),
        )
        assert self.state(position) == state

    def delete(self, position: int) -> None:
        self._run(
            f"DELETE FROM {self.table} WHERE originator_id = ? AND originator_version = ?",
            (self.id, position),
        )

    def insert(self, position: int, topic: str, state: bytes) -> None:
        self._run(
            f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (self.id, position, topic, state),
        )


# -- the story ----------------------------------------------------------------


def build_story(cli: Cli) -> None:
    cli.ok("new", SLUG, "--headline", "Battle for the bridge", "--tz", "Europe/Kyiv")
    cli.ok("add", SLUG, "--text", "Shelling reported near the bridge.",
           "--stamp", "2025-11-04 09:00", "--source", "Reuters")
    cli.ok("add", SLUG, "--text", "About 80% of the town is under control.",
           "--stamp", "2025-11-04 10:30", editor="bob")
    cli.ok("add", SLUG, "--text", "Video shows the bridge destroyed.",
           "--stamp", "2025-11-04 11:15")
    cli.ok("edit", SLUG, "u2", "--kind", "correction", "--reason", "misread the figure",
           "--note", "An earlier version said 80%; the report said 85%.",
           "--text", "About 85% of the town is under control.", editor="cara")
    cli.ok("retract", SLUG, "u3", "--reason", "the video is from 2023",
           "--note", "This update was withdrawn: the video was older than reported.")
    cli.ok("publish", SLUG)


def stories(cli: Cli) -> Iterator[tuple[Cli, Rows]]:
    build_story(cli)
    # A second, untouched story, so that verify has to say which one is broken.
    cli.ok("new", "other-story", "--headline", "Elsewhere")
    cli.ok("add", "other-story", "--text", "Nothing to see.")
    rows = Rows(cli.db)
    assert rows.count() == EVENTS
    yield cli, rows
    rows.close()


@pytest.fixture
def story(cli: Cli) -> Iterator[tuple[Cli, Rows]]:
    """The stories on SQLite, and again on PostgreSQL."""
    yield from stories(cli)


@pytest.fixture
def sqlite_story(sqlite_cli: Cli) -> Iterator[tuple[Cli, Rows]]:
    """The stories on SQLite only, for the checks that do not depend on the backend."""
    yield from stories(sqlite_cli)


def flip_one_byte(state: bytes, old: bytes, new: bytes) -> bytes:
    """``state`` with the first ``old`` replaced by ``new``: the same length, one byte off."""
    assert len(old) == len(new)
    assert sum(a != b for a, b in zip(old, new, strict=True)) == 1
    assert state.count(old) == 1, f"{old!r} is not unique in {state!r}"
    return state.replace(old, new)


def rehash(rows: Rows, position: int, record: dict[str, Any]) -> bytes:
    """A record given a correct hash of its own, as a forger who knows the scheme would."""
    record = dict(record)
    record["hash"] = event_hash(rows.topic(position), str(rows.sid), position, record)
    return orjson.dumps(record)


# -- the tampering ------------------------------------------------------------


def change_reason_byte(rows: Rows) -> int:
    rows.set_state(5, flip_one_byte(rows.state(5), b"misread the figure", b"misreaD the figure"))
    return 5


def change_editor_byte(rows: Rows) -> int:
    rows.set_state(3, flip_one_byte(rows.state(3), b'"editor":"bob"', b'"editor":"bop"'))
    return 3


def change_sealed_byte(rows: Rows) -> int:
    state = rows.state(2)
    box = rows.record(2)["sealed"]["box"].encode()
    changed = box[:10] + (b"A" if box[10:11] != b"A" else b"B") + box[11:]
    rows.set_state(2, flip_one_byte(state, box, changed))
    return 2


def change_published_head_byte(rows: Rows) -> int:
    head = rows.record(7)["payload"]["head"].encode()
    changed = (b"0" if head[:1] != b"0" else b"1") + head[1:]
    rows.set_state(7, flip_one_byte(rows.state(7), b'"head":"' + head, b'"head":"' + changed))
    return 7


def delete_middle_row(rows: Rows) -> int:
    rows.delete(4)
    assert rows.count() == EVENTS - 1
    return 4


def swap_two_rows(rows: Rows) -> int:
    third, fourth = rows.state(3), rows.state(4)
    rows.set_state(3, fourth)
    rows.set_state(4, third)
    return 3


def insert_forged_row_at_end(rows: Rows) -> int:
    forged = rows.record(2)
    forged["payload"] = dict(forged["payload"], update_id="u9")
    forged["editor"] = "mallory"
    forged["prev"] = rows.record(EVENTS)["hash"]
    forged["hash"] = "ab" * 32  # made up
    rows.insert(EVENTS + 1, rows.topic(2), orjson.dumps(forged))
    assert rows.count() == EVENTS + 1
    return EVENTS + 1


def rewrite_row_with_its_own_hash_recomputed(rows: Rows) -> int:
    record = rows.record(3)
    record["editor"] = "mallory"
    rows.set_state(3, rehash(rows, 3, record))
    return 4  # event 3 is self-consistent now; event 4's prev no longer matches it


def rewrite_published_row_with_its_own_hash_recomputed(rows: Rows) -> int:
    """Point the published version at another head, and re-hash the row so it matches."""
    record = rows.record(7)
    record["payload"] = dict(record["payload"], head=rows.record(5)["hash"])
    rows.set_state(7, rehash(rows, 7, record))
    return 7  # its own hash is right, but the head it pins is not the previous event's


# Run on both backends.
TAMPERS: list[Callable[[Rows], int]] = [
    change_reason_byte,
    delete_middle_row,
    swap_two_rows,
    insert_forged_row_at_end,
    rewrite_row_with_its_own_hash_recomputed,
]
# More of the same kind, on SQLite only: verifying does not depend on the backend.
MORE_TAMPERS: list[Callable[[Rows], int]] = [
    change_editor_byte,
    change_sealed_byte,
    change_published_head_byte,
    rewrite_published_row_with_its_own_hash_recomputed,
]


# -- the tests ----------------------------------------------------------------


def names_the_story(line: str, slug: str = SLUG) -> bool:
    """An error line about the story: by its slug, or by its id when the slug is untrusted."""
    sid = story_id(slug)
    return line.startswith((f"Error: {slug}: ", f"Error: story {sid}: ", f"Error: {sid}: "))


def first_event_named(message: str) -> int:
    found = re.search(r"\bevent (\d+)\b", message)
    assert found, f"no 'event N' in {message!r}"
    return int(found.group(1))


def test_an_untampered_store_verifies_with_exit_0(story: tuple[Cli, Rows]) -> None:
    cli, _ = story
    result = cli("verify")
    assert result.exit_code == 0, result.stderr
    lines = sorted(result.stdout.splitlines())
    assert len(lines) == 2
    assert lines[0].startswith("ok\tother-story\t2 events\thead ")
    assert lines[1].startswith(f"ok\t{SLUG}\t{EVENTS} events\thead ")
    assert "2 chains verified" in result.stderr

    reports = {r["story"]: r for r in orjson.loads(cli.ok("verify", "--json"))["chains"]}
    assert reports[SLUG]["ok"] is True
    assert reports[SLUG]["events"] == EVENTS
    assert reports[SLUG]["problem"] is None


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.__name__)
def test_verify_exits_5_naming_the_story_and_the_first_broken_event(
    story: tuple[Cli, Rows], tamper: Callable[[Rows], int]
) -> None:
    check_verify_names_the_first_broken_event(*story, tamper)


@pytest.mark.parametrize("tamper", MORE_TAMPERS, ids=lambda t: t.__name__)
def test_verify_exits_5_naming_the_first_broken_event_for_more_kinds_of_tampering(
    sqlite_story: tuple[Cli, Rows], tamper: Callable[[Rows], int]
) -> None:
    check_verify_names_the_first_broken_event(*sqlite_story, tamper)


def check_verify_names_the_first_broken_event(
    cli: Cli, rows: Rows, tamper: Callable[[Rows], int]
) -> None:
    broken = tamper(rows)

    for args in (("verify",), ("verify", SLUG)):
        result = cli(*args)
        assert result.exit_code == 5, (args, result.stdout, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: ") and names_the_story(lines[0]), lines[0]
        assert first_event_named(lines[0]) == broken, lines[0]
        assert f"ok\t{SLUG}\t" not in result.stdout

    reports = {r["story"]: r for r in orjson.loads(cli("verify", "--json").stdout)["chains"]}
    assert reports[SLUG]["ok"] is False
    assert reports[SLUG]["events"] == broken - 1  # the events before it still verify
    assert first_event_named(reports[SLUG]["problem"]) == broken
    assert reports["other-story"]["ok"] is True


def test_verify_names_the_story_whose_opening_row_was_changed_by_its_real_name(
    sqlite_story: tuple[Cli, Rows],
) -> None:
    cli, rows = sqlite_story
    rows.set_state(1, flip_one_byte(rows.state(1), b'"headline":"Battle', b'"headline":"Bbttle'))
    result = cli("verify")
    assert result.exit_code == 5
    assert names_the_story(result.stderr), result.stderr
    assert first_event_named(result.stderr) == 1, result.stderr


def test_verify_names_the_real_story_when_the_slug_in_its_opening_row_was_forged(
    sqlite_story: tuple[Cli, Rows],
) -> None:
    cli, rows = sqlite_story
    # s1 -> s2: one byte, and now the row claims to be a story that does not exist.
    rows.set_state(1, flip_one_byte(rows.state(1), b'"slug":"s1"', b'"slug":"s2"'))
    result = cli("verify")
    assert result.exit_code == 5
    assert names_the_story(result.stderr), result.stderr
    assert "s2" not in result.stderr, result.stderr
    assert first_event_named(result.stderr) == 1, result.stderr


def test_verify_of_one_story_ignores_tampering_in_another(
    sqlite_story: tuple[Cli, Rows],
) -> None:
    cli, _ = sqlite_story
    other = Rows(cli.db, "other-story")
    try:
        other.set_state(2, flip_one_byte(other.state(2), b'"editor":"ana"', b'"editor":"anb"'))
    finally:
        other.close()
    assert cli("verify", SLUG).exit_code == 0
    result = cli("verify")
    assert result.exit_code == 5
    assert result.stderr.startswith("Error: other-story: event 2 "), result.stderr


def test_story_ids_are_what_the_tamper_helper_assumes(story: tuple[Cli, Rows]) -> None:
    """Guards the helper: it must be changing the rows storylog reads, on either backend."""
    cli, rows = story
    assert isinstance(rows.sid, UUID)
    log = orjson.loads(cli.ok("log", SLUG, "--json"))
    assert [e["position"] for e in log] == list(range(1, EVENTS + 1))
    assert [e["event"] for e in log] == [
        "Opened", "UpdateAdded", "UpdateAdded", "UpdateAdded",
        "UpdateEdited", "UpdateRetracted", "VersionPublished",
    ]
    assert rows.record(5)["payload"]["reason"] == "misread the figure"
    assert rows.record(3)["editor"] == "bob"



# -- copies outside the chain ---------------------------------------------------


def tables_besides_the_events(rows: Rows) -> dict[str, list[str]]:
    """Every other table of storylog's and its columns (snapshots, read models, ...)."""
    if rows.postgres:
        found = rows._run(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position")
    else:
        found = [
            (table, column[1])
            for (table,) in rows._run("SELECT name FROM sqlite_master WHERE type = 'table'")
            for column in rows._run(f"PRAGMA table_info({table})")
        ]
    tables: dict[str, list[str]] = {}
    for table, column in found:
        if table not in (rows.table, "storylog_keys"):
            tables.setdefault(table, []).append(column)
    return tables


def change_every_copy(rows: Rows, old: str, new: str) -> list[str]:
    """Replace ``old`` by ``new`` in every cell outside the events table; where it was."""
    changed = []
    for table, columns in tables_besides_the_events(rows).items():
        for column in columns:
            for (value,) in rows._run(f"SELECT DISTINCT {column} FROM {table}"):
                if isinstance(value, memoryview):
                    value = bytes(value)
                if isinstance(value, str) and old in value:
                    forged: str | bytes = value.replace(old, new)
                elif isinstance(value, bytes) and old.encode() in value:
                    forged = value.replace(old.encode(), new.encode())
                else:
                    continue
                rows._run(f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                          (forged, value))
                changed.append(f"{table}.{column}")
    return changed


def test_a_story_changed_in_its_read_models_is_caught_by_verify_or_not_shown(
    story: tuple[Cli, Rows],
) -> None:
    cli, rows = story
    before = cli.ok("show", SLUG, "--json"), cli.ok("show", SLUG, "--version", "1", "--json")
    assert "Battle for the bridge" in before[0]
    changed = change_every_copy(rows, "Battle for the bridge", "Battle for the fridge")
    assert changed, "the headline is kept nowhere but in the events: nothing to tamper with"

    verify = cli("verify")
    after = cli.ok("show", SLUG, "--json"), cli.ok("show", SLUG, "--version", "1", "--json")
    assert verify.exit_code == 5 or after == before, (changed, verify.exit_code, after[0][:90])


def test_a_changed_snapshot_is_caught_by_verify_or_not_believed_by_commands(
    sqlite_cli: Cli,
) -> None:
    cli = sqlite_cli
    from storylog.app.commands import add_update
    from storylog.app.service import StoryApp

    cli.ok("new", SLUG, "--headline", "Real headline")
    app = StoryApp(cli.db)
    try:
        for i in range(49):  # position 50: the story's first snapshot is taken
            add_update(app, SLUG, body=f"update {i}", stamp="2025-11-04 10:00", editor="ana")
    finally:
        app.close()

    table = "storylog_snapshots" if cli.db.startswith("postgresql://") else "stored_snapshots"
    rows = Rows(cli.db)
    try:
        snapshots = rows._run(f"SELECT originator_version, state FROM {table}")
        assert [v for v, _ in snapshots] == [50]
        snapshot = orjson.loads(bytes(snapshots[0][1]))
        u1 = snapshot["state"]["updates"][0]
        assert (u1["id"], u1["revision"]) == ("u1", 1)
        u1["revision"] = 5
        rows._run(f"UPDATE {table} SET state = ?", (orjson.dumps(snapshot),))
    finally:
        rows.close()

    # The chain says u1 is at revision 1: an edit based on revision 1 is right.
    verify = cli("verify")
    edit = cli("edit", SLUG, "u1", "--revision", "1", "--kind", "update", "--reason", "news",
               "--text", "update 0, with news", editor="bob")
    assert verify.exit_code == 5 or edit.exit_code == 0, (verify.exit_code, edit.stderr)
