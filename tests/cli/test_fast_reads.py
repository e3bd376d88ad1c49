"""Read commands on a SQLite store whose read models are current use plain SQL, without
opening the application; when the models are behind, of an older shape, or an erasure
is unfinished, they open the application, which catches up first. Either way the
answer is the same."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import orjson

from storylog.app.commands import add_update, takedown_update
from storylog.app.service import StoryApp
from storylog.domain.story import story_id
from tests.conftest import Cli, storylog_process

PROBE = """
import sys
from storylog.cli import main
sys.argv = ["storylog", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
opened = sorted(m for m in ("eventsourcing", "pydantic", "cryptography") if m in sys.modules)
print("OPENED=" + ",".join(opened), file=sys.stderr)
"""


def opened_libraries(db: str, *args: str) -> tuple[str, set[str]]:
    """Run a command in a process of its own; its stdout and the heavy libraries it loaded."""
    done = subprocess.run([sys.executable, "-c", PROBE, "--db", db, *args],
                          capture_output=True, check=True,
                          env={"STORYLOG_EDITOR": "ana", "NO_COLOR": "1", "PATH": "/usr/bin"})
    marker = [line for line in done.stderr.decode().splitlines() if line.startswith("OPENED=")]
    return done.stdout.decode(), set(filter(None, marker[-1][len("OPENED="):].split(",")))


def story(cli: Cli) -> None:
    cli.ok("new", "s", "--headline", "Pokrovsk", "--tz", "Europe/Kyiv")
    cli.ok("add", "s", "--id", "u1", "--stamp", "2025-11-04 12:21", "--text", "Russian forces.",
           "--source", "Bild")
    cli.ok("edit", "s", "u1", "--kind", "update", "--reason", "more", "--text",
           "Russian forces advance.")
    cli.ok("publish", "s")


def test_current_read_models_are_read_without_the_write_side(sqlite_cli: Cli) -> None:
    story(sqlite_cli)
    for args in (["log", "s", "--update", "u1"], ["show", "s", "--json"], ["diff", "s", "0", "1"],
                 ["timeline", "Bild", "--json"], ["sources", "--json"], ["stories"],
                 ["corrections", "--json"], ["editor", "ana", "--json"],
                 ["show", "s", "--version", "1", "--format", "markdown"]):
        out, opened = opened_libraries(sqlite_cli.db, *args)
        assert opened == set(), (args, opened)
        assert out == sqlite_cli.ok(*args), args  # the same answer as in process


def test_events_the_read_models_have_not_seen_are_caught_up_first(sqlite_cli: Cli) -> None:
    story(sqlite_cli)
    app = StoryApp(sqlite_cli.db)
    add_update(app, "s", body="Written without a catch-up.", update_id="u2",
               stamp="2025-11-04 13:00", editor="ana")  # the read models do not know it yet
    app.close()
    out, opened = opened_libraries(sqlite_cli.db, "show", "s", "--json")
    assert "eventsourcing" in opened
    assert [u["id"] for u in orjson.loads(out)["updates"]] == ["u2", "u1"]
    _, opened = opened_libraries(sqlite_cli.db, "show", "s", "--json")
    assert opened == set()  # caught up by the previous read


def test_read_models_of_an_older_shape_are_rebuilt_first(sqlite_cli: Cli) -> None:
    story(sqlite_cli)
    expected = sqlite_cli.ok("log", "s")
    with sqlite3.connect(sqlite_cli.db) as conn:
        conn.execute("UPDATE rm_meta SET value = 3 WHERE name = 'version'")
        conn.execute("DELETE FROM rm_events")
    out, opened = opened_libraries(sqlite_cli.db, "log", "s")
    assert "eventsourcing" in opened
    assert out == expected


def test_an_unfinished_erasure_is_finished_before_reading(sqlite_cli: Cli) -> None:
    story(sqlite_cli)
    app = StoryApp(sqlite_cli.db)
    takedown_update(app, "s", "u1", grounds="source-safety", reason="protect", editor="ana")
    app.catch_up()  # the read models see the erasure...
    with sqlite3.connect(sqlite_cli.db) as conn:  # ...and the key is back, as after a crash
        conn.execute("DELETE FROM storylog_keys WHERE key_id LIKE '%/u1'")
        conn.execute("INSERT INTO storylog_keys (key_id, secret) VALUES (?, ?)",
                     (f"{story_id('s')}/u1", b"k" * 32))
    app.close()
    _, opened = opened_libraries(sqlite_cli.db, "show", "s")
    assert "eventsourcing" in opened
    with sqlite3.connect(sqlite_cli.db) as conn:
        secrets = conn.execute("SELECT secret FROM storylog_keys WHERE key_id LIKE '%/u1'")
        assert [row[0] for row in secrets] == [None]  # destroyed, a tombstone left


def test_a_missing_database_is_still_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = storylog_process("log", "s", db=str(tmp_path / "none.db"))
    assert done.returncode == 6, done.stderr
    assert b"Traceback" not in done.stderr


def test_sources_left_to_re_derive_after_an_erasure_are_re_derived_before_reading(
    sqlite_cli: Cli,
) -> None:
    """A crash after an erasure's key was destroyed but before the sources were given
    what a rebuild would give them: the mark in rm_meta makes the next read do it."""
    story(sqlite_cli)
    expected = orjson.loads(sqlite_cli.ok("sources", "--json"))
    with sqlite3.connect(sqlite_cli.db) as conn:
        conn.execute("UPDATE rm_sources SET kind = 'anonymous' WHERE source_key = 'bild'")
        conn.execute("INSERT INTO rm_meta VALUES ('rederive', 1)")
    out, opened = opened_libraries(sqlite_cli.db, "sources", "--json")
    assert "eventsourcing" in opened
    assert orjson.loads(out) == expected
    with sqlite3.connect(sqlite_cli.db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM rm_meta WHERE name = 'rederive'").fetchone() \
            == (0,)
