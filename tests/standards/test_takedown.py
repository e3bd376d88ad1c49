"""Takedowns leave every public and ordinary view; source-safety erasure destroys content."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli

SECRET = "Kvadrat-7 officer Mykola Zorianyi-Secretname"
SOURCE = "Captain Zorianyi-Secretname"


@pytest.fixture
def story(cli: Cli) -> Cli:
    cli.ok("new", "s", "--headline", "H")
    cli.ok("add", "s", "--id", "keep", "--text", "Ordinary update.", "--source", "Bild")
    cli.ok("add", "s", "--id", "risky", "--text", f"{SECRET} said the unit is cut off.",
           "--source", f"{SOURCE},kind=anonymous,via=Le Monde,confidential")
    cli.ok("publish", "s")
    cli.ok("edit", "s", "risky", "--kind", "update", "--reason", "more detail", "--text",
           f"{SECRET} said the unit is cut off and out of water.")
    cli.ok("publish", "s")
    return cli


def all_output(cli: Cli) -> str:
    return "".join([
        cli.ok("show", "s", "--json"), cli.ok("show", "s", "--version", "1", "--json"),
        cli.ok("show", "s", "--format", "markdown"), cli.ok("diff", "s", "1", "2", "--json"),
        cli.ok("diff", "s", "0", "2", "--format", "patch"), cli.ok("sources", "--json"),
        cli.ok("timeline", "Bild", "--json"), cli.ok("events", "s"),
    ])


def test_legal_takedown_hides_content_everywhere_but_audit(story: Cli):
    story.ok("takedown", "s", "risky", "--grounds", "legal", "--reason", "injunction")
    story.ok("publish", "s")
    assert SECRET not in all_output(story)
    view = json.loads(story.ok("show", "s", "--json"))
    risky = next(u for u in view["updates"] if u["id"] == "risky")
    assert risky["taken_down"]["grounds"] == "legal" and risky["body"] is None
    audited = json.loads(story.ok("show", "s", "--audit", "--json"))
    assert SECRET in next(u for u in audited["updates"] if u["id"] == "risky")["body"]
    d = json.loads(story.ok("diff", "s", "2", "3", "--json"))
    assert [t["id"] for t in d["taken_down"]] == ["risky"]
    assert story("edit", "s", "risky", "--kind", "update", "--reason", "x",
                 "--text", "y").exit_code == 1


def test_source_safety_erasure_leaves_no_trace_in_the_files(story: Cli, tmp_path: Path):
    if story.db.startswith("postgresql"):
        pytest.skip("the byte search reads the SQLite files; PostgreSQL has its own test")
    story.ok("takedown", "s", "risky", "--grounds", "source-safety", "--reason", "at risk",
             "--yes")
    assert story.ok("verify")
    exported = story.ok("events", "s")
    assert SECRET not in all_output(story) and SOURCE not in exported
    story.ok("rebuild")
    db = Path(story.db)
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    assert db in files
    for path in files:
        raw = path.read_bytes()
        for needle in (SECRET, SOURCE, "out of water"):
            assert needle.encode() not in raw, f"{needle!r} found in {path.name}"
    backup = tmp_path / "backup.db"
    with sqlite3.connect(story.db) as conn:
        conn.execute(f"VACUUM INTO '{backup}'")
    assert SECRET.encode() not in backup.read_bytes()
    view = json.loads(story.ok("show", "s", "--audit", "--json"))
    risky = next(u for u in view["updates"] if u["id"] == "risky")
    assert risky["erased"] and risky["body"] is None
    assert "Ordinary update." in story.ok("show", "s")


def test_erasure_on_postgresql_leaves_nothing_readable(story: Cli):
    if not story.db.startswith("postgresql"):
        pytest.skip("see the SQLite byte search")
    import psycopg

    story.ok("takedown", "s", "risky", "--grounds", "source-safety", "--reason", "x", "--yes")
    assert SECRET not in all_output(story)
    with psycopg.connect(story.db) as conn:
        for table in ("rm_revisions", "rm_citations", "rm_sources", "storylog_events",
                      "storylog_snapshots"):
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            assert SECRET not in repr(rows) and SOURCE not in repr(rows), table


def test_public_history_still_says_something_was_removed(story: Cli):
    story.ok("takedown", "s", "risky", "--grounds", "source-safety", "--reason", "x", "--yes")
    story.ok("publish", "s")
    markdown = story.ok("show", "s", "--format", "markdown")
    assert "removed on source-safety grounds" in markdown
    log = json.loads(story.ok("log", "s", "--json"))
    assert any(e["event"] == "UpdateTakenDown" and e["kind"] == "source-safety" for e in log)


def test_source_safety_takedown_asks_before_destroying(story: Cli):
    result = story("takedown", "s", "risky", "--grounds", "source-safety", "--reason", "x",
                   input="n\n")
    assert result.exit_code == 1
    assert SECRET in story.ok("show", "s")
