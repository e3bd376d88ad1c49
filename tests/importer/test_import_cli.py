"""`storylog import` end to end: the seed page, a later copy, dry runs and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, Cli

DATA = REPO / "src" / "storylog" / "data"
SEED = DATA / "pokrovsk-live.txt"
LATER = DATA / "pokrovsk-live-later.txt"


@pytest.fixture
def imported(cli: Cli) -> Cli:
    cli.ok("import", "pokrovsk-live", str(SEED), "--year", "2025", "--tz", "Europe/Kyiv")
    return cli


def test_seed_imports_into_its_seven_updates_with_media_and_standfirst(imported: Cli):
    view = json.loads(imported.ok("show", "pokrovsk-live", "--json"))
    stamps = [u["stamp"] for u in view["updates"]]
    assert len(stamps) == 7
    assert (stamps[-1], stamps[0]) == ("2025-11-04T12:21", "2025-11-11T08:26")
    assert view["standfirst"].startswith("This piece compiles and updates verified information")
    by_stamp = {u["stamp"]: u for u in view["updates"]}
    picture = by_stamp["2025-11-05T14:00"]["media"]
    assert picture == [{"type": "picture", "credit": "Privat", "caption":
                        "Russian soldiers move through a destroyed gas station in the city’s "
                        "northeast."}]
    assert "Privat" not in by_stamp["2025-11-05T14:00"]["body"]
    link = by_stamp["2025-11-04T20:05"]["media"][0]
    assert (link["type"], link["label"]) == ("link", "Deep State Map")
    names = {s["name"] for s in by_stamp["2025-11-04T12:21"]["sources"]}
    assert "Julian Röpcke" in names


def test_importing_the_same_text_twice_changes_nothing(imported: Cli):
    before = imported.ok("log", "pokrovsk-live", "--json")
    result = imported("import", "pokrovsk-live", str(SEED), "--year", "2025")
    assert result.exit_code == 0 and "0 added, 0 edited, 0 retracted" in result.stderr
    assert imported.ok("log", "pokrovsk-live", "--json") == before


def test_later_copy_becomes_an_add_an_edit_and_a_retraction(imported: Cli):
    out = json.loads(imported.ok("import", "pokrovsk-live", str(LATER), "--year", "2025",
                                 "--json"))
    assert (out["added"], out["edited"], out["retracted"]) == (1, 1, 1)
    log = json.loads(imported.ok("log", "pokrovsk-live", "--json"))
    kinds = [(e["event"], e.get("update"), e.get("kind")) for e in log[-3:]]
    assert ("UpdateEdited", "2025-11-07-0840", "update") in kinds
    assert ("UpdateAdded", "2025-11-11-1415", None) in kinds
    assert ("UpdateRetracted", "2025-11-11-0826", None) in kinds
    gone = next(u for u in json.loads(imported.ok("show", "pokrovsk-live", "--json"))["updates"]
                if u["id"] == "2025-11-11-0826")
    assert gone["retracted"] and "disappeared from the live page" in gone["retraction"]["note"]


def test_dry_run_prints_the_events_and_writes_nothing(imported: Cli):
    before = imported.ok("log", "pokrovsk-live", "--json")
    events = json.loads(imported.ok("import", "pokrovsk-live", str(LATER), "--year", "2025",
                                    "--dry-run"))
    assert sorted(e["event"] for e in events) == ["UpdateAdded", "UpdateEdited",
                                                  "UpdateRetracted"]
    assert imported.ok("log", "pokrovsk-live", "--json") == before


def test_a_stamp_without_a_year_is_refused_naming_the_line(cli: Cli):
    result = cli("import", "pokrovsk-live", str(SEED), "--tz", "Europe/Kyiv")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: line 2:") and "--year" in result.stderr
    assert cli("stories").exit_code in (0, 6)  # nothing was created


def test_import_reads_standard_input(cli: Cli):
    result = cli("import", "s", "-", "--year", "2025", input=SEED.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(cli.ok("show", "s", "--json"))["updates"]) == 7


def test_unsourced_updates_are_listed(imported: Cli):
    out = json.loads(imported.ok("import", "other", str(SEED), "--year", "2025", "--json"))
    assert isinstance(out["unsourced"], list)
    for update_id in out["unsourced"]:
        view = json.loads(imported.ok("show", "other", "--json"))
        assert next(u for u in view["updates"] if u["id"] == update_id)["sources"] == []


# --- issue 17, item 5: every update accounted for --------------------------------------

TIME_TITLE_PAGE = ("Wildfire: live\nFirefighters battle a blaze.\nThursday, August 14, 2025\n"
                   "4:05 p.m. Containment reaches 20 percent\nCal Fire said so.\n"
                   "10:30 a.m. Evacuation order widened\nThe order grew.\n")


def test_unplaced_lines_refuse_the_import_naming_them_and_write_nothing(
    cli: Cli, tmp_path: Path,
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Standfirst.\nMay 1, 2025\nRead our coverage below.\n10:00\nText.\n")
    result = cli("import", "fire", str(page))
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "--allow-unplaced" in result.stderr
    assert "Traceback" not in result.stderr
    assert cli("show", "fire").exit_code != 0  # no story was created
    allowed = cli("import", "fire", str(page), "--allow-unplaced")
    assert allowed.exit_code == 0, allowed.stderr
    assert "line 3 belongs to no update" in allowed.stderr


def test_a_page_whose_times_carry_titles_imports_every_update(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(TIME_TITLE_PAGE)
    cli.ok("import", "fire", str(page), "--tz", "America/Los_Angeles")
    view = json.loads(cli.ok("show", "fire", "--json"))
    assert [u["stamp"] for u in view["updates"]] == ["2025-08-14T16:05", "2025-08-14T10:30"]


def test_a_page_with_no_updates_writes_nothing_and_creates_no_story(
    cli: Cli, tmp_path: Path,
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Just a headline\nAnd a paragraph of text without any stamp.\n")
    result = cli("import", "empty", str(page))
    assert result.exit_code == 1 and "no updates" in result.stderr
    assert "empty" not in cli("stories").stdout


def test_dry_run_json_shows_exactly_the_payloads_that_would_be_written(imported: Cli) -> None:
    out = json.loads(imported.ok("import", "fresh", str(SEED), "--year", "2025", "--tz",
                                 "Europe/Kyiv", "--dry-run", "--json"))
    assert imported("show", "fresh").exit_code != 0
    written = out["written"]
    assert [w["event"] for w in written] == ["Opened"] + ["UpdateAdded"] * 7
    assert written[0]["payload"]["standfirst"].startswith("This piece compiles")
    imported.ok("import", "fresh", str(SEED), "--year", "2025", "--tz", "Europe/Kyiv")
    view = json.loads(imported.ok("show", "fresh", "--json"))
    added = [w["payload"] for w in written if w["event"] == "UpdateAdded"]
    assert sorted(a["update_id"] for a in added) == sorted(u["id"] for u in view["updates"])
    by_id = {u["id"]: u for u in view["updates"]}
    for payload in added:
        assert payload["stamp"].replace(" ", "T")[:16] == by_id[payload["update_id"]]["stamp"]
        assert payload["content"]["body"] == by_id[payload["update_id"]]["body"]
