"""`storylog events` and `storylog load`: a story moves between stores with identical hashes.

The story is written on a SQLite file through the real command line, exported as
NDJSON, and loaded into PostgreSQL (and, for the refusals, into either kind of
store); everything is compared through the command line again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest

if TYPE_CHECKING:
    from conftest import Cli

SLUG = "bridge-live"


def build_story(cli: Cli) -> None:
    """A story that uses most of what an event can hold."""
    cli.ok("new", SLUG, "--headline", "Battle for the bridge", "--standfirst",
           "Fighting around the bridge, as it happens.", "--tz", "Europe/Kyiv", "--lang", "en")
    cli.ok("add", SLUG, "--stamp", "2025-11-04 09:00", "--text", "Shelling reported.",
           "--source", "Reuters", "--source", "Julian Röpcke,kind=analyst,via=Bild")
    cli.ok("add", SLUG, "--stamp", "2025-11-04 10:30", "--status", "verified", "--key-event",
           "--text", "About 80% of the town is under control.\n\nSecond paragraph.",
           "--source", "a soldier,kind=person,confidential",
           "--picture", "The bridge at dawn", "--picture-url", "https://example.org/b.jpg",
           "--credit", "AP", "--link", "https://example.org/map", "--link-label", "Map",
           editor="bob")
    cli.ok("publish", SLUG, "--note", "Morning")
    cli.ok("add", SLUG, "--stamp", "2025-11-04 11:15", "--text", "Video shows the bridge down.")
    cli.ok("edit", SLUG, "u2", "--kind", "correction", "--reason", "misread the figure",
           "--note", "An earlier version said 80%; the report said 85%.",
           "--text", "About 85% of the town is under control.", editor="cara")
    cli.ok("retract", SLUG, "u3", "--reason", "the video is from 2023",
           "--note", "This update was withdrawn: the video was older than reported.")
    cli.ok("retitle", SLUG, "--headline", "The bridge falls", "--reason", "new facts")
    cli.ok("publish", SLUG)


def ndjson(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def hashes(lines: list[dict[str, Any]]) -> list[tuple[str, int, str, str]]:
    return [(line["story_id"], line["position"], line["record"]["prev"], line["record"]["hash"])
            for line in lines]


def story_report(cli: Cli) -> dict[str, Any]:
    reports = [r for r in orjson.loads(cli.ok("verify", "--json"))["chains"] if r["story"] == SLUG]
    assert len(reports) == 1
    return reports[0]


def stored_counts(db: str) -> tuple[int, int]:
    """(event rows, key rows) in a store, read with the database's own driver."""
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as conn:
            tables = {r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            events = conn.execute("SELECT count(*) FROM storylog_events").fetchone()[0] \
                if "storylog_events" in tables else 0
            keys = conn.execute("SELECT count(*) FROM storylog_keys").fetchone()[0] \
                if "storylog_keys" in tables else 0
            return int(events), int(keys)
    if not Path(db).exists():
        return 0, 0
    conn = sqlite3.connect(db)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        events = conn.execute("SELECT count(*) FROM stored_events").fetchone()[0] \
            if "stored_events" in tables else 0
        keys = conn.execute("SELECT count(*) FROM storylog_keys").fetchone()[0] \
            if "storylog_keys" in tables else 0
        return int(events), int(keys)
    finally:
        conn.close()


def assert_no_story(cli: Cli) -> None:
    if not cli.db.startswith("postgresql") and not Path(cli.db).exists():
        return  # refused before a database was even created: nothing was loaded
    assert orjson.loads(cli.ok("stories", "--json")) == []
    missing = cli("show", SLUG)
    assert missing.exit_code == 3, missing.stderr
    assert stored_counts(cli.db) == (0, 0)


def one_byte_changed(line: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new)
    assert sum(a != b for a, b in zip(old, new, strict=True)) == 1
    assert line.count(old) == 1, f"{old!r} is not unique in {line!r}"
    return line.replace(old, new)


def other_hex(text: str) -> bytes:
    return (("1" if text[0] == "0" else "0") + text[1:]).encode()


# -- round trip ---------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, str]:
    """The story on SQLite (with a second story beside it) and its NDJSON export.

    Built once for this module: the tests only read it.
    """
    from tests.conftest import Cli as RealCli

    sqlite_cli = RealCli(str(tmp_path_factory.mktemp("source") / "source.db"))
    build_story(sqlite_cli)
    sqlite_cli.ok("new", "other-story", "--headline", "Elsewhere")
    sqlite_cli.ok("add", "other-story", "--text", "Not part of the export.")
    return sqlite_cli, sqlite_cli.ok("events", SLUG)


def test_a_story_moved_from_sqlite_to_postgresql_keeps_every_hash_and_reads_the_same(
    exported: tuple[Cli, str], pg_url: str, tmp_path: Path
) -> None:
    sqlite_cli, text = exported
    lines = ndjson(text)
    assert [line["position"] for line in lines] == list(range(1, 10))
    assert {line["story"] for line in lines} == {SLUG}

    postgres = type(sqlite_cli)(pg_url)
    export_file = tmp_path / "bridge.ndjson"
    export_file.write_text(text, encoding="utf-8")
    loaded = postgres("load", str(export_file), "--json")
    assert loaded.exit_code == 0, loaded.stderr
    assert orjson.loads(loaded.stdout) == {SLUG: 9}
    assert f"loaded {SLUG}: 9 events" in loaded.stderr

    # The chains: the same head, and the same hash for every single event.
    before, after = story_report(sqlite_cli), story_report(postgres)
    assert after == before
    assert after["ok"] is True and after["events"] == 9
    again = ndjson(postgres.ok("events", SLUG))
    assert hashes(again) == hashes(lines)
    assert again[-1]["record"]["hash"] == before["head"]
    assert again == lines  # rows, keys and opened content: all as exported

    # What people read: the story, every published version, and the audit log.
    for args in (("show", SLUG, "--json"), ("show", SLUG, "--version", "1", "--json"),
                 ("show", SLUG, "--version", "2", "--json"), ("log", SLUG, "--json"),
                 ("log", SLUG, "--update", "u2", "--json"), ("show", SLUG)):
        assert postgres.ok(*args) == sqlite_cli.ok(*args), args
    view = orjson.loads(postgres.ok("show", SLUG, "--json"))
    assert view["headline"] == "The bridge falls"
    assert {u["id"]: u["body"] for u in view["updates"]}["u2"] == (
        "About 85% of the town is under control.")

    # The moved story goes on in its new store, and still verifies.
    postgres.ok("add", SLUG, "--text", "Written after the move.")
    assert postgres("verify").exit_code == 0
    assert story_report(postgres)["events"] == 10


def test_loading_from_standard_input_with_a_dash(
    exported: tuple[Cli, str], pg_url: str
) -> None:
    sqlite_cli, text = exported
    postgres = type(sqlite_cli)(pg_url)
    result = postgres("load", "-", input=text.encode())
    assert result.exit_code == 0, result.stderr
    assert f"loaded {SLUG}: 9 events" in result.stderr
    assert story_report(postgres) == story_report(sqlite_cli)
    assert postgres.ok("show", SLUG, "--json") == sqlite_cli.ok("show", SLUG, "--json")


# -- refusals, into either kind of store --------------------------------------


@pytest.fixture
def source(exported: tuple[Cli, str]) -> tuple[Cli, bytes]:
    """The SQLite store the story comes from (not the target), and its export."""
    src, text = exported
    return src, text.encode()


def change_editor(lines: list[bytes]) -> tuple[list[bytes], int]:
    lines[2] = one_byte_changed(lines[2], b'"editor":"bob"', b'"editor":"bop"')
    return lines, 3


def change_reason(lines: list[bytes]) -> tuple[list[bytes], int]:
    lines[5] = one_byte_changed(lines[5], b"misread the figure", b"misreaD the figure")
    return lines, 6


def change_sealed_box(lines: list[bytes]) -> tuple[list[bytes], int]:
    box = orjson.loads(lines[1])["record"]["sealed"]["box"]
    changed = box[:5] + ("A" if box[5] != "A" else "B") + box[6:]
    lines[1] = one_byte_changed(lines[1], box.encode(), changed.encode())
    return lines, 2


def change_hash(lines: list[bytes]) -> tuple[list[bytes], int]:
    own = orjson.loads(lines[4])["record"]["hash"]
    lines[4] = one_byte_changed(lines[4], f'"hash":"{own}"'.encode(),
                                b'"hash":"' + other_hex(own) + b'"')
    return lines, 5


def change_prev(lines: list[bytes]) -> tuple[list[bytes], int]:
    prev = orjson.loads(lines[8])["record"]["prev"]
    lines[8] = one_byte_changed(lines[8], f'"prev":"{prev}"'.encode(),
                                b'"prev":"' + other_hex(prev) + b'"')
    return lines, 9


def change_position(lines: list[bytes]) -> tuple[list[bytes], int]:
    lines[3] = one_byte_changed(lines[3], b'"position":4,', b'"position":9,')
    return lines, 4


def change_story_id(lines: list[bytes]) -> tuple[list[bytes], int]:
    sid = orjson.loads(lines[6])["story_id"]
    lines[6] = one_byte_changed(lines[6], f'"story_id":"{sid}"'.encode(),
                                b'"story_id":"' + other_hex(sid) + b'"')
    return lines, 7


@pytest.mark.parametrize(
    "tamper",
    [change_editor, change_reason, change_sealed_box, change_hash, change_prev,
     change_position, change_story_id],
    ids=lambda t: t.__name__,
)
def test_a_file_with_one_byte_changed_in_a_record_is_refused_and_loads_nothing(
    cli: Cli, source: tuple[Cli, bytes], tmp_path: Path, tamper: Any
) -> None:
    _, good = source
    lines, broken = tamper(good.splitlines())
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    assert bad.read_bytes() != good and len(bad.read_bytes()) == len(good)

    result = cli("load", str(bad))
    assert result.exit_code == 1, result.stderr
    message = result.stderr.splitlines()
    assert len(message) == 1, result.stderr
    assert message[0].startswith(("Error: the file does not verify: ", "Error: line ")), message[0]
    assert f"event {broken} " in message[0] or f"line {broken} " in message[0], message[0]
    assert_no_story(cli)

    # and the file as exported still loads: the refusal was about the change
    assert cli("load", "-", input=good).exit_code == 0


def test_a_file_whose_update_key_was_changed_by_one_byte_is_refused(
    cli: Cli, source: tuple[Cli, bytes], tmp_path: Path
) -> None:
    _, good = source
    lines = good.splitlines()
    key = orjson.loads(lines[1])["key"]
    lines[1] = one_byte_changed(lines[1], f'"key":"{key}"'.encode(),
                                b'"key":"' + other_hex(key) + b'"')
    bad = tmp_path / "bad-key.ndjson"
    bad.write_bytes(b"\n".join(lines) + b"\n")

    # The key is outside the hash chain: loading it unchecked would leave a story
    # whose update can never be opened (show failing with an internal error).
    result = cli("load", str(bad))
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert_no_story(cli)


def test_loading_the_same_file_twice_refuses_the_second_time_and_changes_nothing(
    cli: Cli, source: tuple[Cli, bytes], tmp_path: Path
) -> None:
    src, good = source
    export_file = tmp_path / "bridge.ndjson"
    export_file.write_bytes(good)
    assert cli("load", str(export_file)).exit_code == 0
    first = (story_report(cli), cli.ok("events", SLUG), stored_counts(cli.db))

    again = cli("load", str(export_file))
    assert again.exit_code == 1, again.stderr
    lines = again.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), again.stderr
    assert SLUG in lines[0] and "already" in lines[0], lines[0]
    assert (story_report(cli), cli.ok("events", SLUG), stored_counts(cli.db)) == first
    assert first[0] == story_report(src)


def test_a_file_that_is_not_an_export_is_refused_with_exit_1(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.ndjson"
    junk.write_bytes(b'{"story": "x"}\n')
    result = cli("load", str(junk))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: line 1 is not a storylog event"), result.stderr
    empty = cli("load", "-", input=b"")
    assert empty.exit_code == 1
    assert empty.stderr.startswith("Error: the file holds no events"), empty.stderr


def test_a_load_that_loses_a_race_takes_its_keys_back(
    cli: Cli, source: tuple[Cli, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer opens the same story between the load's check and its insert: the
    database refuses the rows, and the keys the load had stored go again."""
    from storylog.app.archive import Archive
    from storylog.app.service import StoryApp
    from storylog.errors import Conflict
    from storylog.store.transfer import parse_lines

    _, good = source
    cli.ok("new", SLUG, "--headline", "Someone else's story")
    before = stored_counts(cli.db)
    app = StoryApp(cli.db)
    monkeypatch.setattr(Archive, "holds", lambda self, chain: False)  # checked before it
    with pytest.raises(Conflict):
        Archive(app).load(parse_lines(good.splitlines()))
    app.close()
    assert stored_counts(cli.db) == before


# -- events -o: the file holds keys and plaintext (issue 12, findings 12 and 14) -----------


def test_events_output_file_is_created_readable_by_its_owner_only(
    source: tuple[Cli, bytes], tmp_path: Path
) -> None:
    """Before the fix `events -o` wrote update keys and plaintext with mode 0644 (umask
    022): anyone on the machine could read them. Now 600 from creation, and said so."""
    import os
    import stat

    src, good = source
    fresh, old = tmp_path / "fresh.ndjson", tmp_path / "old.ndjson"
    old.write_bytes(b"an older export\n")
    old.chmod(0o644)
    mask = os.umask(0o022)
    try:
        for target in (fresh, old):
            result = src("events", SLUG, "-o", str(target))
            assert result.exit_code == 0, result.stderr
            assert stat.S_IMODE(target.stat().st_mode) == 0o600, target
            assert target.read_bytes() == good
            assert "mode 600" in result.stderr and "keys" in result.stderr, result.stderr
    finally:
        os.umask(mask)
    assert "mode 600" in " ".join(src.ok("events", "--help").split())
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".storylog-*"))


def test_events_into_a_missing_folder_is_an_ordinary_error(
    source: tuple[Cli, bytes], tmp_path: Path
) -> None:
    src, _ = source
    result = src("events", SLUG, "-o", str(tmp_path / "missing" / "x.ndjson"))
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot write "), result.stderr
    # a story that is not there leaves no file behind either
    assert src("events", "nope", "-o", str(tmp_path / "n.ndjson")).exit_code == 3
    assert not (tmp_path / "n.ndjson").exists()
