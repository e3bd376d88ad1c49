"""`storylog import` end to end: the seed page, a later copy, dry runs and refusals."""

from __future__ import annotations

import json

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
