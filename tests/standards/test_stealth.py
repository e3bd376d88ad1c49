"""Copy edits that change facts: flagged always, refused on a published update."""

from __future__ import annotations

import json

import pytest

from storylog.domain.stealth import text_findings
from tests.conftest import Cli

ROEPCKE = ("Julian Röpcke reported on X that Russian forces have taken control of about 85% "
           "of Pokrovsk.")
GENSTAFF = ("On November 4, Ukraine’s General Staff denied reports that Ukrainian units had "
            "been encircled.")
BILD = "Sources in the army quoted by the German outlet Bild report growing fears."
TYPO = "The General Staff said there was no encirlcement or blockade of cities."


@pytest.mark.parametrize(("old", "new"), [
    (ROEPCKE, ROEPCKE.replace("85%", "80%")),
    (GENSTAFF, GENSTAFF.replace("November 4", "November 5")),
    (GENSTAFF, GENSTAFF.replace("denied", "confirmed")),
    (BILD, BILD.replace("Bild", "Le Monde")),
    (ROEPCKE, ROEPCKE.replace("Julian Röpcke reported", "Oliver Carroll reported")),
    (GENSTAFF, GENSTAFF.replace("denied", "did not deny")),
    ('He said it was "a matter of days".', 'He said it was "a matter of weeks".'),
])
def test_factual_changes_are_found(old, new):
    assert text_findings(old, new)


@pytest.mark.parametrize(("old", "new"), [
    (TYPO, TYPO.replace("encirlcement", "encirclement")),
    (ROEPCKE, ROEPCKE.replace("have taken", "had taken")),
    (BILD, BILD.replace("growing fears", "growing  fears")),
])
def test_spelling_and_style_fixes_are_not_flagged(old, new):
    assert text_findings(old, new) == []


@pytest.fixture
def published(cli: Cli) -> Cli:
    cli.ok("new", "s", "--headline", "H")
    cli.ok("add", "s", "--id", "r", "--text", ROEPCKE, "--source", "Julian Röpcke,via=Bild")
    cli.ok("add", "s", "--id", "g", "--text", GENSTAFF)
    cli.ok("add", "s", "--id", "b", "--text", BILD, "--source", "Bild")
    cli.ok("add", "s", "--id", "t", "--text", TYPO)
    cli.ok("publish", "s")
    return cli


@pytest.mark.parametrize(("update", "old", "new"), [
    ("r", "85%", "80%"), ("g", "November 4", "November 5"), ("g", "denied", "confirmed"),
    ("b", "Bild", "Le Monde"),
])
def test_stealth_copy_edit_on_a_published_update_is_refused(published: Cli, update, old, new):
    text = {"r": ROEPCKE, "g": GENSTAFF, "b": BILD}[update].replace(old, new)
    before = published.ok("log", "s", "--json")
    result = published("edit", "s", update, "--kind", "copy-edit", "--reason", "tidy",
                       "--text", text)
    assert result.exit_code == 1
    assert "must not change facts" in result.stderr and "--note" in result.stderr
    assert published.ok("log", "s", "--json") == before


def test_changing_the_sources_by_copy_edit_is_refused(published: Cli):
    result = published("edit", "s", "b", "--kind", "copy-edit", "--reason", "x",
                       "--source", "Le Monde")
    assert result.exit_code == 1 and "sources cited" in result.stderr


def test_a_real_typo_fix_passes_as_a_copy_edit(published: Cli):
    published.ok("edit", "s", "t", "--kind", "copy-edit", "--reason", "typo", "--text",
                 TYPO.replace("encirlcement", "encirclement"))
    entry = json.loads(published.ok("log", "s", "--update", "t", "--json"))[-1]
    assert entry["kind"] == "copy-edit"


def test_refiling_as_a_correction_with_a_note_is_accepted(published: Cli):
    revision = published.ok("edit", "s", "r", "--kind", "correction", "--reason", "misread",
                            "--note", "An earlier version said 85%.", "--text",
                            ROEPCKE.replace("85%", "80%"))
    assert revision == "2\n"
    found = json.loads(published.ok("corrections", "--json"))["corrections"]
    assert [(c["update"], c["kind"], c["note"], c["stealth_flags"]) for c in found] == [
        ("r", "correction", "An earlier version said 85%.", [])]
    body = json.loads(published.ok("show", "s", "--json"))["updates"]
    assert next(u["body"] for u in body if u["id"] == "r") == ROEPCKE.replace("85%", "80%")


def test_override_is_recorded_and_flagged_in_corrections_and_log(published: Cli):
    published.ok("edit", "s", "r", "--kind", "copy-edit", "--reason", "house style",
                 "--override", "figure was a typo in our own draft", "--text",
                 ROEPCKE.replace("85%", "80%"))
    stealth = json.loads(published.ok("corrections", "--stealth", "--json"))["corrections"]
    assert [(c["update"], c["stealth_flags"], c["override"]) for c in stealth] == [
        ("r", ["numbers"], "figure was a typo in our own draft")]
    assert "numbers" in published.ok("editor", "ana")


def test_stealth_copy_edit_before_publication_is_flagged_not_refused(cli: Cli):
    cli.ok("new", "s", "--headline", "H")
    cli.ok("add", "s", "--id", "r", "--text", ROEPCKE)
    cli.ok("edit", "s", "r", "--kind", "copy-edit", "--reason", "x", "--text",
           ROEPCKE.replace("85%", "80%"))
    log = json.loads(cli.ok("log", "s", "--update", "r", "--json"))
    assert (log[-1]["kind"], log[-1]["revision"]) == ("copy-edit", 2)
    edits = json.loads(cli.ok("editor", "ana", "--json"))["contributions"]
    assert [(e["kind"], e["stealth_flags"]) for e in edits if e["event"] == "UpdateEdited"] \
        == [("copy-edit", ["numbers"])]
