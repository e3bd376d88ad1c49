"""Bad input through the CLI: one `Error:` line, a documented exit code, no traceback,
and the store byte-for-byte as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli

ALLOWED_CODES = {1, 2, 3, 4, 5, 6}


def settled_bytes(db: str) -> bytes:
    """The database file's bytes after folding the WAL in."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return Path(db).read_bytes()


@pytest.fixture
def story(sqlite_cli: Cli) -> Cli:
    sqlite_cli.ok("new", "s", "--headline", "Pokrovsk", "--tz", "Europe/Kyiv")
    sqlite_cli.ok("add", "s", "--id", "u1", "--stamp", "2025-11-04 12:21", "--text", "85%.")
    sqlite_cli.ok("add", "s", "--id", "u2", "--stamp", "2025-11-04 20:05", "--text", "Gone.")
    sqlite_cli.ok("retract", "s", "u2", "--reason", "wrong", "--note", "Withdrawn.")
    sqlite_cli.ok("publish", "s")
    return sqlite_cli


BAD = [
    (1, ["show", "s", "--at", "0001-01-01 00:00"]),  # before year 1 in UTC (Kyiv is east)
    (1, ["show", "s", "--known-at", "9999-12-31T23:59-05:00"]),  # after year 9999 in UTC
    (1, ["corrections", "--since", "0001-01-01T00:00+05:00"]),
    (1, ["add", "s", "--text", ""]),
    (1, ["add", "s", "--text", "   \n "]),
    (1, ["add", "s", "--text", "bell\x07"]),
    (1, ["add", "s", "--text", "x" * 100_001]),
    (1, ["add", "s", "--text", "x", "--link", "javascript:alert(1)"]),
    (1, ["add", "s", "--text", "x", "--source", "Bild,url=data:text/html,hi"]),
    (1, ["add", "s", "--text", "x", "--stamp", "2025-02-30 10:00"]),
    (1, ["add", "s", "--text", "x", "--stamp", "99999-01-01 10:00"]),
    (1, ["add", "s", "--text", "x", "--id", "u1"]),
    (1, ["add", "s", "--text", "x", "--id", "has space"]),
    (2, ["add", "s", "--text", "x", "--status", "probably"]),
    (3, ["add", "nope", "--text", "x"]),
    (1, ["edit", "s", "u1", "--kind", "correction", "--reason", "r", "--text", "80%."]),
    (1, ["edit", "s", "u1", "--kind", "copy-edit", "--reason", "r", "--text", "85%."]),
    (1, ["edit", "s", "u2", "--kind", "update", "--reason", "r", "--text", "back"]),
    (3, ["edit", "s", "u9", "--kind", "update", "--reason", "r", "--text", "x"]),
    (4, ["edit", "s", "u1", "--kind", "update", "--reason", "r", "--text", "x", "--revision", "7"]),
    (2, ["edit", "s", "u1", "--kind", "rewrite", "--reason", "r", "--text", "x"]),
    (2, ["retract", "s", "u1", "--reason", "r"]),
    (1, ["retract", "s", "u1", "--reason", "r", "--note", "  "]),
    (1, ["publish", "s"]),
    (4, ["publish", "s", "--position", "1"]),
    (1, ["new", "Bad Slug", "--headline", "H"]),
    (1, ["new", "s", "--headline", "H"]),
    (1, ["new", "t", "--headline", "H", "--tz", "Mars/Olympus"]),
    (1, ["new", "t", "--headline", ""]),
    (3, ["show", "s", "--version", "9"]),
    (3, ["show", "nope"]),
    (3, ["log", "nope"]),
    (3, ["verify", "nope"]),
    (2, ["frobnicate"]),
    (2, ["show"]),
]


def _case_id(value: object) -> str:
    return " ".join(value)[:60] if isinstance(value, list) else str(value)


@pytest.mark.parametrize(("code", "args"), BAD, ids=_case_id)
def test_refused_command_says_one_line_and_changes_nothing(story: Cli, code, args):
    before = settled_bytes(story.db)
    result = story(*args)
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith(("Error:", "Try ")), result.stderr
    assert settled_bytes(story.db) == before


def test_missing_editor_is_refused(story: Cli):
    before = settled_bytes(story.db)
    result = story("add", "s", "--text", "x", editor="")
    assert result.exit_code == 1
    assert "--editor" in result.stderr
    assert settled_bytes(story.db) == before


def test_malformed_utf8_on_stdin_is_refused(story: Cli):
    before = settled_bytes(story.db)
    result = story("add", "s", "--text", "-", input=b"caf\xe9 \xff\xfe")
    assert result.exit_code == 1
    assert "UTF-8" in result.stderr
    assert settled_bytes(story.db) == before


def test_right_to_left_and_emoji_text_is_kept_exactly(story: Cli):
    text = "\u0627\u0644\u0633\u0644\u0627\u0645 \u05e9\u05dc\u05d5\u05dd 🚩"
    new_id = story.ok("add", "s", "--text", text).strip()
    import json

    view = json.loads(story.ok("show", "s", "--json"))
    assert next(u for u in view["updates"] if u["id"] == new_id)["body"] == text


def test_database_path_that_is_a_directory_is_exit_6(tmp_path):
    result = Cli(str(tmp_path))("stories")
    assert result.exit_code == 6
    assert result.stderr.startswith("Error:")


def test_reading_a_missing_database_does_not_create_it(tmp_path):
    db = tmp_path / "none.db"
    result = Cli(str(db))("stories")
    assert result.exit_code == 6
    assert "storylog init" in result.stderr
    assert not db.exists()


def test_unreachable_postgres_is_exit_6():
    result = Cli("postgresql://nobody@127.0.0.1:1/none")("stories")
    assert result.exit_code == 6, result.stderr
    assert result.stderr.startswith("Error:")
