"""Issue 16's own stealth cases, through the real CLI on a published story.

Copy edits that change facts (a sentence-initial name, place or side; a direction; a quantity
word; an outcome verb; a change of status) are refused on a published update, and harmless
ones (punctuation before a capital; a typo fixed into "may", the verb, not the month) pass.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli

TEXTS = {
    "roepcke": "Röpcke said Russian forces have advanced toward the northern outskirts.",
    "city": "Pokrovsk is now practically cut off. No vehicles can get through.",
    "video": "Russian troops entered the city from the Donetsk direction, the video shows. "
             "Dozens of soldiers move on foot past a destroyed gas station. The footage is "
             "unverified.",
    "debate": "Bild reports continuing debates over a withdrawal. Ukraine’s reputation mya "
              "suffer, supporters of Zelensky argue.",
}


@pytest.fixture
def published(cli: Cli) -> Cli:
    cli.ok("new", "s", "--headline", "Pokrovsk")
    for update, text in TEXTS.items():
        cli.ok("add", "s", "--id", update, "--text", text)
    cli.ok("publish", "s")
    return cli


@pytest.mark.parametrize(("update", "old", "new"), [
    ("roepcke", "Röpcke said", "Zelensky said"),
    ("city", "Pokrovsk is", "Myrnohrad is"),
    ("video", "Russian troops", "Ukrainian troops"),
    ("roepcke", "northern", "southern"),
    ("video", "Dozens", "Hundreds"),
    ("video", "destroyed", "damaged"),
    ("video", "unverified", "verified"),
])
def test_a_copy_edit_that_changes_a_fact_is_refused(published: Cli, update, old, new):
    before = published.ok("log", "s", "--json")
    result = published("edit", "s", update, "--kind", "copy-edit", "--reason", "tidy",
                       "--text", TEXTS[update].replace(old, new))
    assert result.exit_code == 1, result.stdout
    assert "must not change facts" in result.stderr and "Traceback" not in result.stderr
    assert published.ok("log", "s", "--json") == before


@pytest.mark.parametrize(("update", "old", "new"), [
    ("debate", ". Ukraine’s", "; Ukraine’s"),
    ("debate", "mya suffer", "may suffer"),
    ("city", ". No vehicles", ": no vehicles"),
    ("roepcke", "Röpcke", "Roepcke"),
    ("video", "Russian troops entered the city from the Donetsk direction, the video shows.",
     "The video shows that Russian troops entered the city from the Donetsk direction."),
])
def test_a_harmless_copy_edit_passes_unflagged(published: Cli, update, old, new):
    published.ok("edit", "s", update, "--kind", "copy-edit", "--reason", "style", "--text",
                 TEXTS[update].replace(old, new))
    entry = json.loads(published.ok("log", "s", "--update", update, "--json"))[-1]
    assert entry["kind"] == "copy-edit"
    assert not json.loads(published.ok("corrections", "--stealth", "--json"))["corrections"]


def test_a_name_flag_reaches_the_corrections_report_whole(published: Cli):
    """Flags are stored comma-joined, so a flag's name must hold no comma."""
    published.ok("edit", "s", "city", "--kind", "copy-edit", "--reason", "tidy",
                 "--override", "our own draft error", "--text",
                 TEXTS["city"].replace("Pokrovsk is", "Myrnohrad is"))
    stealth = json.loads(published.ok("corrections", "--stealth", "--json"))["corrections"]
    assert [c["stealth_flags"] for c in stealth] == [["names"]]
