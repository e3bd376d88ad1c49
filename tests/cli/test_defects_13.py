"""The defects new users found (issue 13), each through the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.test_bad_input import settled_bytes
from tests.conftest import SEED, Cli


@pytest.fixture
def story(sqlite_cli: Cli) -> Cli:
    sqlite_cli.ok("new", "s", "--headline", "Pokrovsk", "--tz", "Europe/Kyiv")
    sqlite_cli.ok("add", "s", "--id", "u1", "--stamp", "2025-11-04 12:21", "--text", "85%.",
                  "--command-id", "c-add-1")
    return sqlite_cli


# -- 1. an unknown update id in `log` ------------------------------------------------------

def test_log_of_an_unknown_update_is_not_found(story: Cli):
    result = story("log", "s", "--update", "NOSUCH")
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith("Error: s has no update 'NOSUCH'")
    assert story.ok("log", "s", "--update", "u1").count("UpdateAdded") == 1


# -- 4. global options after the subcommand ---------------------------------------------------

def test_db_is_accepted_after_the_subcommand(story: Cli, tmp_path: Path):
    elsewhere = Cli(str(tmp_path / "nowhere.db"))  # STORYLOG_DB names a missing file
    assert elsewhere.ok("stories", "--db", story.db).startswith("s\t")
    assert elsewhere.ok("log", "s", "--db", story.db).count("UpdateAdded") == 1
    story.ok("add", "s", "--text", "x", "--source", "Officer A,kind=anonymous",
             "--source", "Officer B,kind=anonymous")
    elsewhere.ok("source", "merge", "Officer A", "Officer B", "--reason", "one",
                 "--db", story.db)
    assert not (tmp_path / "nowhere.db").exists()


def test_db_given_before_and_after_differently_is_a_usage_error(story: Cli, tmp_path: Path):
    result = story("--db", story.db, "stories", "--db", str(tmp_path / "other.db"))
    assert result.exit_code == 2
    assert "--db is given twice" in result.stderr


# -- 5. a refused first command leaves no database behind -----------------------------------

@pytest.mark.parametrize(("args", "editor"), [
    (["import", "p", str(SEED)], "ana"),  # no --year: refused
    (["import", "p", str(SEED), "--year", "2025", "--dry-run"], "ana"),  # writes nothing
    (["new", "p", "--headline", "H"], ""),  # nobody named: refused
    (["import", "p", str(SEED), "--year", "2025"], ""),
])
def test_refused_first_command_leaves_no_database_file(
    tmp_path: Path, args: list[str], editor: str
):
    db = tmp_path / "fresh.db"
    result = Cli(str(db), editor=editor)(*args)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_init_still_creates_an_empty_database(tmp_path: Path):
    db = tmp_path / "fresh.db"
    Cli(str(db)).ok("init")
    assert db.exists()


def test_a_refused_command_on_an_existing_empty_database_keeps_it(tmp_path: Path):
    db = tmp_path / "fresh.db"
    cli = Cli(str(db))
    cli.ok("init")
    assert cli("import", "p", str(SEED)).exit_code == 1
    assert db.exists()


# -- 11. messages ------------------------------------------------------------------------------

def test_editing_a_retracted_update_names_the_time_in_the_story_zone(story: Cli):
    story.ok("retract", "s", "u1", "--reason", "wrong", "--note", "Withdrawn.")
    result = story("edit", "s", "u1", "--kind", "update", "--reason", "r", "--text", "x")
    assert result.exit_code == 1
    assert re.search(r"retracted on \d{4}-\d\d-\d\d \d\d:\d\d EES?T \(Europe/Kyiv\);",
                     result.stderr), result.stderr


@pytest.mark.parametrize(("args", "option"), [
    (["retract", "s", "u1", "--reason", " ", "--note", "n"], "--reason"),
    (["retract", "s", "u1", "--reason", "r", "--note", "  "], "--note"),
    (["edit", "s", "u1", "--kind", "update", "--reason", "", "--text", "x"], "--reason"),
])
def test_a_blank_field_is_named(story: Cli, args: list[str], option: str):
    before = settled_bytes(story.db)
    result = story(*args)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {option} must not be empty"
    assert settled_bytes(story.db) == before


def test_counts_are_singular_and_plural(story: Cli):
    assert story.ok("stories").startswith("s\t1 update\t")
    story.ok("add", "s", "--text", "more", "--source", "Bild")
    assert story.ok("stories").startswith("s\t2 updates\t")
    assert story.ok("sources").startswith("Bild\toutlet\t1 update\t1 story")
    result = story("verify", "s")
    assert "\t3 events\t" in result.stdout
    assert "1 chain verified" in result.stderr


# -- 2. import is idempotent by command id --------------------------------------------------

LATER = SEED.with_name("pokrovsk-live-later.txt")


def test_import_rerun_with_the_same_command_id_writes_nothing_and_says_so(sqlite_cli: Cli):
    args = ["import", "p", str(SEED), "--year", "2025", "--tz", "Europe/Kyiv",
            "--command-id", "imp-1"]
    sqlite_cli.ok(*args)
    before = settled_bytes(sqlite_cli.db)
    again = sqlite_cli(*args)
    assert again.exit_code == 0, again.stderr
    assert "already imported this page (events 1 to 8); nothing was written" in again.stderr
    assert settled_bytes(sqlite_cli.db) == before
    # the same id with another page is refused, naming the id
    other = sqlite_cli("import", "p", str(LATER), "--year", "2025", "--command-id", "imp-1")
    assert other.exit_code == 1
    assert other.stderr.startswith("Error: command id imp-1 was already used")
    assert settled_bytes(sqlite_cli.db) == before
    # a later import with its own id, re-run after the story moved on, still writes nothing
    sqlite_cli.ok("import", "p", str(LATER), "--year", "2025", "--command-id", "imp-2")
    sqlite_cli.ok("add", "p", "--text", "afterwards")
    before = settled_bytes(sqlite_cli.db)
    assert "nothing was written" in sqlite_cli(
        "import", "p", str(LATER), "--year", "2025", "--command-id", "imp-2").stderr
    assert settled_bytes(sqlite_cli.db) == before


# -- 3. a command id reused for a different change is refused --------------------------------

RERUNS = [
    (["add", "s", "--text", "85%.", "--id", "u3"], ["add", "s", "--text", "80%.", "--id", "u3"]),
    (["add", "s", "--text", "more"], ["add", "s", "--text", "other"]),
    (["edit", "s", "u1", "--kind", "update", "--reason", "r", "--text", "86%."],
     ["edit", "s", "u1", "--kind", "update", "--reason", "other", "--text", "86%."]),
    (["edit", "s", "u1", "--kind", "update", "--reason", "r", "--text", "86%."],
     ["edit", "s", "u2", "--kind", "update", "--reason", "r", "--text", "86%."]),
    (["retract", "s", "u1", "--reason", "r", "--note", "Withdrawn."],
     ["retract", "s", "u1", "--reason", "r", "--note", "Gone."]),
    (["retitle", "s", "--headline", "New", "--reason", "r"],
     ["retitle", "s", "--headline", "Newer", "--reason", "r"]),
    (["publish", "s"], ["publish", "s", "--note", "Evening"]),
    (["publish", "s"], ["add", "s", "--text", "x"]),
    (["takedown", "s", "u1", "--grounds", "legal", "--reason", "r"],
     ["takedown", "s", "u1", "--grounds", "privacy", "--reason", "r"]),
]


@pytest.mark.parametrize(("first", "second"), RERUNS, ids=lambda a: " ".join(a)[:40])
def test_a_command_id_reused_for_another_change_is_refused(
    story: Cli, first: list[str], second: list[str]
):
    story.ok("add", "s", "--id", "u2", "--text", "second")
    printed = story.ok(*first, "--command-id", "again")
    before = settled_bytes(story.db)
    assert story.ok(*first, "--command-id", "again") == printed  # the same: a re-run
    result = story(*second, "--command-id", "again")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: command id again was already used for another "
                                    "change to s"), result.stderr
    assert "nothing was written" in result.stderr
    assert settled_bytes(story.db) == before


def test_new_rerun_with_its_command_id_is_quiet_and_a_different_one_refused(sqlite_cli: Cli):
    sqlite_cli.ok("new", "t", "--headline", "H", "--command-id", "open-t")
    assert sqlite_cli.ok("new", "t", "--headline", "H", "--command-id", "open-t") == "t\n"
    refused = sqlite_cli("new", "t", "--headline", "Other", "--command-id", "open-t")
    assert refused.exit_code == 1
    assert "command id open-t" in refused.stderr and "headline differs" in refused.stderr


# -- reserved names (issue 13, item 3) ---------------------------------------------------------

@pytest.mark.parametrize("slug", ["sources", "source-registry", "registry", "index", "feed",
                                  "well-known"])
def test_reserved_names_are_refused_by_new_and_import(story: Cli, slug: str, tmp_path: Path):
    before = settled_bytes(story.db)
    refused = story("new", slug, "--headline", "H")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: slug '{slug}' is reserved (")
    page = tmp_path / "page.txt"
    page.write_text("Live\n\nUpdated November 4, 12:21 P.M.\n\nText.\n", encoding="utf-8")
    imported = story("import", slug, str(page), "--year", "2025")
    assert imported.exit_code == 1
    assert f"'{slug}' is reserved" in imported.stderr
    assert settled_bytes(story.db) == before


def _story_named_sources_from_before(db: str) -> None:
    """A store written before names were reserved may hold a story called `sources`."""
    from storylog.app.service import StoryApp
    from storylog.domain.payloads import StoryOpenedPayload

    payload = StoryOpenedPayload.model_validate({"slug": "sources", "headline": "Old"},
                                                context={"stored": True})
    app = StoryApp(db)
    app.open_story(payload, editor="ana")
    app.close()


def test_an_old_story_named_sources_and_the_source_registry_do_not_collide(story: Cli):
    _story_named_sources_from_before(story.db)
    story.ok("add", "s", "--text", "x", "--source", "Officer A,kind=anonymous",
             "--source", "Officer B,kind=anonymous")
    story.ok("source", "merge", "Officer A", "Officer B", "--reason", "one officer")
    result = story("verify")
    assert result.exit_code == 0, result.stderr
    names = [line.split("\t")[1] for line in result.stdout.splitlines()]
    assert sorted(names) == ["(internal: sources)", "s", "sources"]
    assert story.ok("verify", "sources").startswith("ok\tsources\t1 event\t")


# -- 6. advice after a failed verify never destroys evidence ---------------------------------

def test_verify_after_the_last_event_was_deleted_says_to_keep_the_evidence(story: Cli):
    import sqlite3

    story.ok("add", "s", "--id", "u2", "--text", "the last update")
    conn = sqlite3.connect(story.db)
    conn.execute("DELETE FROM stored_events WHERE originator_version = "
                 "(SELECT MAX(originator_version) FROM stored_events)")
    conn.commit()
    conn.close()
    result = story("verify")
    assert result.exit_code == 5
    advice = result.stderr
    assert "events were deleted" in advice
    assert "copy the database aside first and keep the copy as evidence" in advice
    for line in advice.splitlines():  # rebuild is never the first thing it says to do
        if "rebuild" in line:
            assert line.index("copy the database aside") < line.index("rebuild")


# -- 7: daylight-saving gaps and doubled hours ----------------------------------------------

@pytest.fixture
def kyiv(sqlite_cli: Cli) -> Cli:
    sqlite_cli.ok("new", "k", "--headline", "Kyiv", "--tz", "Europe/Kyiv")
    sqlite_cli.ok("add", "k", "--id", "u1", "--stamp", "2025-03-30 02:30", "--text", "Before.")
    return sqlite_cli


def test_a_stamp_in_the_spring_gap_is_refused_naming_it(kyiv: Cli):
    before = settled_bytes(kyiv.db)
    for args in (["add", "k", "--stamp", "2025-03-30 03:30", "--text", "x"],
                 ["edit", "k", "u1", "--kind", "update", "--reason", "r",
                  "--stamp", "2025-03-30 03:00"]):
        result = kyiv(*args)
        assert result.exit_code == 1, result.stderr
        assert "does not exist in Europe/Kyiv" in result.stderr
        assert "2025-03-30 03:" in result.stderr
    assert settled_bytes(kyiv.db) == before


def test_a_stamp_in_the_autumn_doubled_hour_is_kept_and_flagged(kyiv: Cli):
    result = kyiv("add", "k", "--id", "u2", "--stamp", "2025-10-26 03:30", "--text", "x")
    assert result.exit_code == 0, result.stderr
    assert "happens twice in Europe/Kyiv" in result.stderr
    assert "EEST" in result.stderr
    quiet = kyiv("add", "k", "--id", "u3", "--stamp", "2025-10-26 05:30", "--text", "y")
    assert "warning" not in quiet.stderr


# -- 9: timeline cells are never cut ------------------------------------------------------

def test_a_long_timeline_cell_is_shown_whole(sqlite_cli: Cli):
    sqlite_cli.ok("new", "t", "--headline", "T")
    words = " ".join(f"word{n}" for n in range(200)) + " THE-END"
    sqlite_cli.ok("add", "t", "--text", words, "--source", "Bild")
    sqlite_cli.ok("add", "t", "--text", "short", "--source", "Reuters")
    out = sqlite_cli.ok("timeline", "Bild", "Reuters", env={"COLUMNS": "80"})
    assert "THE-END" in out


# -- 10: link captions kept on edit and shown everywhere -------------------------------------

def test_editing_a_link_keeps_its_caption_and_every_view_shows_it(sqlite_cli: Cli, tmp_path):
    sqlite_cli.ok("new", "m", "--headline", "Maps")
    sqlite_cli.ok("add", "m", "--id", "u1", "--text", "The front moved.",
                  "--link", "https://example.org/map", "--link-label", "Deep State Map",
                  "--link-caption", "Occupation of Pokrovsk on the Deep State map.",
                  "--picture", "A destroyed gas station.", "--credit", "Privat")
    sqlite_cli.ok("edit", "m", "u1", "--kind", "update", "--reason", "new address",
                  "--link", "https://example.org/map2", "--link-label", "Deep State map")
    media = json.loads(sqlite_cli.ok("show", "m", "--json"))["updates"][0]["media"]
    link = next(m for m in media if m["type"] == "link")
    assert link == {"type": "link", "url": "https://example.org/map2",
                    "label": "Deep State map",
                    "caption": "Occupation of Pokrovsk on the Deep State map."}
    assert any(m["type"] == "picture" and m["credit"] == "Privat" for m in media)
    sqlite_cli.ok("publish", "m")
    for out in (sqlite_cli.ok("show", "m"), sqlite_cli.ok("show", "m", "--format", "markdown")):
        assert "Occupation of Pokrovsk on the Deep State map." in out
    site = tmp_path / "site"
    sqlite_cli.ok("export", "m", str(site))
    pages = "".join(p.read_text() for p in site.rglob("*.html"))
    assert "Occupation of Pokrovsk on the Deep State map." in pages
