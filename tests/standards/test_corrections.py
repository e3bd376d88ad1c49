"""The corrections audit, sign-off and editors' contributions."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.store.forge import forge, parse


@pytest.fixture
def desk(cli: Cli) -> Cli:
    cli.ok("new", "a", "--headline", "A")
    cli.ok("add", "a", "--id", "u1", "--text", "About 80% of the city.", editor="olena")
    cli.ok("add", "a", "--id", "u2", "--text", "Unpublished at first.", editor="olena")
    cli.ok("edit", "a", "u2", "--kind", "update", "--reason", "before publication",
           "--text", "Changed before anyone saw it.", editor="olena")
    cli.ok("publish", "a")
    cli.ok("edit", "a", "u1", "--kind", "correction", "--reason", "misread",
           "--note", "We said 80%; it is 85%.", "--text", "About 85% of the city.",
           editor="ines")
    cli.ok("retract", "a", "u2", "--reason", "wrong", "--note", "Withdrawn.", editor="marc")
    cli.ok("new", "b", "--headline", "B")
    cli.ok("add", "b", "--id", "x", "--text", "A claim.")
    cli.ok("publish", "b")
    cli.ok("edit", "b", "x", "--kind", "clarification", "--reason", "ambiguous",
           "--note", "We clarified who said it.", "--text", "A claim, by the mayor.",
           editor="ines")
    cli.ok("publish", "b")
    return cli


def test_corrections_lists_changes_after_first_publication_only(desk: Cli):
    result = json.loads(desk.ok("corrections", "--json"))
    rows = [(c["story"], c["update"], c["kind"]) for c in result["corrections"]]
    assert rows == [("a", "u1", "correction"), ("a", "u2", "retraction"),
                    ("b", "x", "clarification")]
    assert result["totals"]["by_kind"] == {"clarification": 1, "correction": 1, "retraction": 1}
    assert result["totals"]["by_story"] == {"a": 2, "b": 1}


def test_corrections_say_whether_the_public_was_told(desk: Cli):
    entries = {c["update"]: c for c in json.loads(desk.ok("corrections", "--json"))["corrections"]}
    assert entries["x"]["public_told"] == "yes" and entries["x"]["note_published_in"] == 2
    assert entries["u1"]["public_told"] == "not yet published"
    assert entries["u1"]["first_published"]["version"] == 1
    assert entries["u1"]["reason"] == "misread" and entries["u1"]["editor"] == "ines"


def test_hours_after_publication_count_from_the_first_published_version(cli: Cli,
                                                                        tmp_path: Path):
    # A story whose events are hours apart, as an export with its clock moved (every hash
    # recomputed, so it loads): opened at 06:00, added 06:10, v1 at 08:00, corrected at
    # 14:45 (6.75 h after v1), v2 at 15:00, clarified at 09:12 next day (25.2 h).
    maker = Cli(str(tmp_path / "maker.db"))
    maker.ok("new", "a", "--headline", "A")
    maker.ok("add", "a", "--id", "u1", "--text", "About 80% of the city.")
    maker.ok("publish", "a")
    maker.ok("edit", "a", "u1", "--kind", "correction", "--reason", "misread",
             "--note", "We said 80%; it is 85%.", "--text", "About 85% of the city.")
    maker.ok("publish", "a")
    maker.ok("edit", "a", "u1", "--kind", "clarification", "--reason", "whose figure",
             "--note", "The figure is Röpcke's.", "--text", "About 85% (Röpcke).")
    start = datetime(2025, 11, 4, 6, 0, tzinfo=UTC)
    minutes = [0, 10, 120, 525, 540, 1632]

    def clock(lines: list[dict]) -> None:
        for line, after in zip(lines, minutes, strict=True):
            line["record"]["recorded_at"] = (start + timedelta(minutes=after)).isoformat()

    cli.ok("load", "-", input=forge(parse(maker.ok("events", "a")), clock))
    found = json.loads(cli.ok("corrections", "--json"))["corrections"]
    assert [(c["kind"], c["first_published"]["version"], c["hours_after_publication"])
            for c in found] == [("correction", 1, 6.75), ("clarification", 1, 25.2)]


def test_corrections_filter_by_story_editor_and_kind(desk: Cli):
    def updates(*args: str) -> list[str]:
        return [c["update"] for c in json.loads(desk.ok("corrections", *args, "--json"))
                ["corrections"]]

    assert updates("--story", "b") == ["x"]
    assert updates("--editor", "marc") == ["u2"]
    assert updates("--kind", "correction") == ["u1"]
    assert updates("--since", "2999-01-01") == []


def test_review_signs_off_and_unreviewed_lists_what_waits(desk: Cli):
    waiting = json.loads(desk.ok("corrections", "--unreviewed", "--json"))["corrections"]
    assert {(c["update"], c["revision"]) for c in waiting} == {("u1", 2), ("u2", 3), ("x", 2)}
    desk.ok("review", "a", "u1", "--revision", "2", editor="standards")
    waiting = json.loads(desk.ok("corrections", "--unreviewed", "--json"))["corrections"]
    assert ("u1", 2) not in {(c["update"], c["revision"]) for c in waiting}
    again = desk("review", "a", "u1", "--revision", "2", editor="standards")
    assert again.exit_code == 1
    assert desk("review", "a", "u1", "--revision", "1").exit_code == 1  # the add itself


def test_corrections_csv_has_a_header_and_a_row_per_change(desk: Cli):
    rows = list(csv.reader(io.StringIO(desk.ok("corrections", "--csv"))))
    assert rows[0][:4] == ["story", "update", "revision", "kind"]
    assert len(rows) == 4


def test_editor_lists_one_editors_contributions(desk: Cli):
    result = json.loads(desk.ok("editor", "ines", "--json"))
    assert [(c["story"], c["event"]) for c in result["contributions"]] == [
        ("b", "UpdateEdited"), ("a", "UpdateEdited")]
    assert result["totals"] == {"UpdateEdited": 2}
