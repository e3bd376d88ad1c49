"""The views through the command line: versions, moments, diffs, sources, timelines."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Cli


@pytest.fixture
def story(cli: Cli) -> Cli:
    cli.ok("new", "s", "--headline", "Pokrovsk", "--tz", "Europe/Kyiv")
    cli.ok("add", "s", "--id", "r", "--stamp", "2025-11-04 12:21", "--text",
           "Röpcke says Russia holds about 80% of the city.",
           "--source", "Julian Röpcke,kind=analyst,via=Bild")
    cli.ok("add", "s", "--id", "g", "--stamp", "2025-11-04 20:15", "--text",
           "The General Staff denied an encirclement.",
           "--source", "General Staff,kind=official")
    cli.ok("publish", "s")
    cli.ok("edit", "s", "r", "--kind", "correction", "--reason", "misread",
           "--note", "He said 85%, not 80%.", "--text",
           "Röpcke says Russia holds about 85% of the city.")
    cli.ok("add", "s", "--id", "b", "--stamp", "2025-11-05 14:00", "--text",
           "Bild's sources fear an encirclement.", "--source", "Bild,kind=outlet")
    cli.ok("add", "s", "--id", "x", "--stamp", "2025-11-05 15:00", "--text", "A rumour.")
    cli.ok("retract", "s", "x", "--reason", "false", "--note", "Withdrawn: it was false.")
    cli.ok("publish", "s")
    return cli


def test_diff_lists_added_edited_retracted_and_public_notes(story: Cli):
    d = json.loads(story.ok("diff", "s", "1", "2", "--json"))
    assert [u["id"] for u in d["added"]] == ["x", "b"]
    assert [e["id"] for e in d["edited"]] == ["r"]
    segments = d["edited"][0]["changes"]["body"]
    assert {"op": "delete", "text": "80"} in segments and {"op": "insert", "text": "85"} in segments
    assert {n["note"] for n in d["notes"]} == {"He said 85%, not 80%.", "Withdrawn: it was false."}
    assert d["summary"] == {"added": 2, "retracted": 0, "edited": 1, "taken_down": 0, "notes": 2}


def test_diff_defaults_to_the_last_two_published_versions(story: Cli):
    assert story.ok("diff", "s", "--json") == story.ok("diff", "s", "1", "2", "--json")


def test_change_made_and_undone_between_versions_does_not_appear(story: Cli):
    story.ok("edit", "s", "g", "--kind", "update", "--reason", "x", "--text", "Oops.")
    story.ok("edit", "s", "g", "--kind", "update", "--reason", "undo", "--text",
             "The General Staff denied an encirclement.")
    story.ok("add", "s", "--id", "n", "--text", "New.")
    story.ok("publish", "s")
    d = json.loads(story.ok("diff", "s", "2", "3", "--json"))
    assert d["edited"] == [] and [u["id"] for u in d["added"]] == ["n"]


def test_diff_text_marks_words_without_colour(story: Cli):
    text = story.ok("diff", "s", "1", "2")
    assert "[-80-]{+85+}" in text
    assert "\x1b[" not in text


@pytest.mark.skipif(shutil.which("patch") is None, reason="GNU patch is not installed")
def test_patch_turns_version_a_markdown_into_version_b(story: Cli, tmp_path: Path):
    (tmp_path / "story.md").write_text(story.ok("show", "s", "--version", "1",
                                                "--format", "markdown"))
    patch = story.ok("diff", "s", "1", "2", "--format", "patch")
    subprocess.run(["patch", "-s", str(tmp_path / "story.md")], input=patch, text=True,
                   check=True)
    assert (tmp_path / "story.md").read_text() == story.ok(
        "show", "s", "--version", "2", "--format", "markdown")


def test_show_at_a_moment_gives_the_last_version_published_before_it(story: Cli):
    versions = json.loads(story.ok("log", "s", "--json"))
    published = [e["recorded_at"] for e in versions if e["event"] == "VersionPublished"]
    at_first = story.ok("show", "s", "--at", published[0], "--json")
    assert json.loads(at_first)["version"] == 1
    assert "80%" in at_first
    before = story("show", "s", "--at", "2000-01-01 00:00")
    assert before.exit_code == 3


def test_known_at_includes_unpublished_changes(story: Cli):
    log = json.loads(story.ok("log", "s", "--json"))
    edit = next(e for e in log if e["event"] == "UpdateEdited")
    view = json.loads(story.ok("show", "s", "--known-at", edit["recorded_at"], "--json"))
    assert view["version"] is None
    assert view["position"] == edit["position"]
    assert next(u for u in view["updates"] if u["id"] == "r")["body"].endswith("85% of the city.")


def test_bad_time_is_refused(story: Cli):
    result = story("show", "s", "--at", "yesterday-ish")
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.stderr


def test_sources_are_one_identity_across_spellings_and_via(story: Cli):
    story.ok("new", "t", "--headline", "Other story")
    story.ok("add", "t", "--text", "Ropcke again.", "--source", "JULIAN ROPCKE")
    listed = {s["name"]: s for s in json.loads(story.ok("sources", "--json"))}
    assert listed["Julian Röpcke"]["updates"] == 2
    assert listed["Julian Röpcke"]["stories"] == 2
    assert listed["Bild"]["updates"] == 2  # cited directly, and via Röpcke


def test_timeline_puts_sources_side_by_side_in_stamp_order(story: Cli):
    t = json.loads(story.ok("timeline", "General Staff", "Bild", "--story", "s", "--json"))
    assert [(e["source_name"], e["update"]) for e in t["entries"]] == [
        ("Bild", "r"), ("Ukraine's General Staff", "g"), ("Bild", "b")]
    first = t["entries"][0]
    assert first["role"] == "via" and first["versions"] == [1, 2]
    assert [h["action"] for h in first["history"]] == ["added", "correction"]
    text = story.ok("timeline", "General Staff", "Bild")
    assert "Ukraine's General Staff" in text.splitlines()[0] and "Bild" in text.splitlines()[0]


def test_source_merge_is_an_audited_event(story: Cli):
    story.ok("add", "s", "--text", "Zelensky said no gains.", "--source", "President Zelensky")
    story.ok("add", "s", "--text", "V. Zelenskyy spoke.", "--source", "V. Zelenskyy")
    before = {s["name"] for s in json.loads(story.ok("sources", "--json"))}
    assert {"Volodymyr Zelensky", "V. Zelenskyy"} <= before
    story.ok("source", "merge", "V. Zelenskyy", "Zelensky", "--reason", "transliteration")
    after = {s["name"]: s for s in json.loads(story.ok("sources", "--json"))}
    assert "V. Zelenskyy" not in after
    assert after["Volodymyr Zelensky"]["updates"] == 2
    assert "V. Zelenskyy" in after["Volodymyr Zelensky"]["aliases"]
    assert story.ok("verify")  # the registry's chain verifies too
    unknown = story("source", "merge", "Nobody", "Bild", "--reason", "x")
    assert unknown.exit_code == 3


def test_rebuild_gives_the_same_answers(story: Cli):
    before = [story.ok("show", "s", "--json"), story.ok("diff", "s", "--json"),
              story.ok("sources", "--json"), story.ok("log", "s", "--json")]
    result = story("rebuild")
    assert result.exit_code == 0 and "rebuilt" in result.stderr
    after = [story.ok("show", "s", "--json"), story.ok("diff", "s", "--json"),
             story.ok("sources", "--json"), story.ok("log", "s", "--json")]
    assert after == before
