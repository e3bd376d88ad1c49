"""Issue 12's findings on what editors type and what storylog prints: every one through
the real CLI, each failing on the code before its fix.

Source specs that fail open, terminal escapes in names and text, CSV formulas, Markdown
that becomes markup, direction overrides, look-alike slugs, unbounded lists.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.cli.test_bad_input import settled_bytes
from tests.conftest import Cli


@pytest.fixture
def story(sqlite_cli: Cli) -> Cli:
    sqlite_cli.ok("new", "s", "--headline", "Pokrovsk", "--tz", "Europe/Kyiv")
    sqlite_cli.ok("add", "s", "--id", "u1", "--stamp", "2025-11-04 12:21", "--text", "85%.")
    sqlite_cli.ok("publish", "s")
    return sqlite_cli


def refused(cli: Cli, *args: str, editor: str | None = None, input: str | None = None,
            code: int = 1) -> str:
    """Run a command that must be refused: its one-line error, the store untouched."""
    before = settled_bytes(cli.db)
    result = cli(*args, editor=editor, input=input)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert settled_bytes(cli.db) == before
    return result.stderr


# -- finding 2: the confidential flag fails open -------------------------------------------

@pytest.mark.parametrize("spec", [
    "Officer Alpha,Confidential", "Officer Alpha, CONFIDENTIAL", "Officer Alpha;confidential",
    "Officer Alpha,confidental", "Officer Alpha,secret", "Officer Alpha,confidential=yes",
    "Officer Alpha,Kind=official", "Officer Alpha,kind=official,kind=person",
    "Officer Alpha,via=", "Officer Alpha confidential",
])
def test_a_source_spec_with_anything_unknown_is_refused_naming_it(story: Cli, spec: str):
    message = refused(story, "add", "s", "--text", "x", "--source", spec)
    assert "--source" in message
    assert "Officer Alpha" in message


def test_the_exact_flag_still_marks_a_source_confidential(story: Cli):
    story.ok("add", "s", "--id", "u2", "--text", "x",
             "--source", "Officer Alpha, kind=anonymous, via=Le Monde, confidential")
    [source] = next(u for u in json.loads(story.ok("show", "s", "--json"))["updates"]
                if u["id"] == "u2")["sources"]
    assert source == {"name": "Officer Alpha", "kind": "anonymous", "via": "Le Monde",
                      "url": None, "confidential": True}


def test_a_comma_inside_a_source_name_is_written_escaped(story: Cli):
    story.ok("add", "s", "--id", "u2", "--text", "x", "--source", r"Smith\, John,kind=person")
    update = next(u for u in json.loads(story.ok("show", "s", "--json"))["updates"]
              if u["id"] == "u2")
    assert update["sources"][0]["name"] == "Smith, John"


def test_an_unknown_source_kind_names_the_option_and_the_kinds(story: Cli):
    message = refused(story, "add", "s", "--text", "x", "--source", "X,kind=blogger")
    assert "--source" in message and "blogger" in message and "outlet" in message


# -- finding 5: limits on every list --------------------------------------------------------

def test_more_sources_than_the_limit_are_refused(story: Cli):
    specs = [arg for n in range(51) for arg in ("--source", f"Source {n}")]
    message = refused(story, "add", "s", "--text", "x", *specs)
    assert "51 sources" in message and "limit is 50" in message
    story.ok("add", "s", "--text", "x", *specs[:100])  # 50 is allowed


# -- finding 6: terminal escapes in names, ids and text ---------------------------------------

@pytest.mark.parametrize("name", ["Eve\x1b[2J", "Eve\nFAKE LOG LINE", "Eve\x9b31m", "Eve\rMallory",
                                  "Eve\u202e", "x" * 201])
def test_an_editor_name_with_controls_is_refused(story: Cli, name: str):
    message = refused(story, "add", "s", "--text", "x", editor=name)
    assert "editor" in message
    assert "\x1b" not in message and "\x9b" not in message and "\n" not in message.strip()


@pytest.mark.parametrize("command_id", ["id\n", "id\x1b[31m", "has space", "-starts", "x" * 129])
def test_a_command_id_outside_the_pattern_is_refused(story: Cli, command_id: str):
    message = refused(story, "add", "s", "--text", "x", "--command-id", command_id)
    assert "command id" in message


@pytest.mark.parametrize("text", ["red \x9b31m text", "title \x9d0;pwned\x07", "bare\rCR",
                                  "osc \x1b]0;t\x07"])
@pytest.mark.parametrize("where", ["text", "headline", "note", "source"])
def test_c1_controls_and_a_bare_cr_are_refused_on_every_way_in(story: Cli, text: str,
                                                               where: str):
    args = {
        "text": ["add", "s", "--text", text],
        "headline": ["retitle", "s", "--headline", text, "--reason", "r"],
        "note": ["edit", "s", "u1", "--kind", "correction", "--reason", "r", "--note", text,
                 "--text", "86%."],
        "source": ["add", "s", "--text", "x", "--source", text],
    }[where]
    message = refused(story, *args)
    assert "U+" in message or "carriage return" in message or "';'" in message


def test_c1_controls_are_refused_through_import(sqlite_cli: Cli, tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("Live\n\nUpdated November 4, 12:21 P.M.\n\nRed \x9b31m text here.\n",
                    encoding="utf-8")
    result = sqlite_cli("import", "s", str(page), "--year", "2025")
    assert result.exit_code == 1, result.stderr
    assert "U+009B" in result.stderr
    assert not Path(sqlite_cli.db).exists()  # a refused first import leaves no store


def _store_old_row_with_controls(db: str) -> None:
    """A story as a store written before C1 controls were refused would hold it."""
    from storylog.app.service import StoryApp
    from storylog.domain.payloads import StoryOpenedPayload

    payload = StoryOpenedPayload.model_validate(
        {"slug": "old", "headline": "Old \x9b31mred\x9d0;title", "standfirst": "right \u202eleft"},
        context={"stored": True})
    app = StoryApp(db)
    app.open_story(payload, editor="ana")
    app.close()


def test_text_stored_with_controls_is_printed_visibly_escaped(sqlite_cli: Cli):
    _store_old_row_with_controls(sqlite_cli.db)
    out = sqlite_cli.ok("show", "old") + sqlite_cli.ok("stories")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    assert "\\x9b31mred\\x9d0;title" in out
    assert "\u2068right \u202eleft\u2069" in out  # isolated: the override stops there


# -- finding 7: CSV formula injection ---------------------------------------------------------

def test_corrections_csv_neutralises_formulas(story: Cli):
    story.ok("edit", "s", "u1", "--kind", "correction", "--reason", "=HYPERLINK(\"http://e\")",
             "--note", "+1 more was wrong", "--text", "86%.", editor="@evil")
    rows = list(csv.reader(io.StringIO(story.ok("corrections", "--csv"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["reason"] == "'=HYPERLINK(\"http://e\")"
    assert row["note"] == "'+1 more was wrong"
    assert row["editor"] == "'@evil"
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


# -- finding 8: Markdown and patch output pass editor text through as Markdown ---------------

HOSTILE_BODY = ("**Retracted:** this update was withdrawn\n"
                "<script>alert(1)</script>\n"
                "[read more](javascript:alert(2)) and <img src=x onerror=alert(3)>\n"
                "# Not a heading\n1. not a list\n> not a quote")


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


def test_editor_text_in_markdown_renders_as_text_not_markup(story: Cli):
    story.ok("add", "s", "--id", "u2", "--stamp", "2025-11-05 09:00", "--text", HOSTILE_BODY,
             "--source", "Bild <b>x</b>")
    story.ok("publish", "s")
    outputs = [story.ok("show", "s", "--version", "2", "--format", "markdown"),
               story.ok("diff", "s", "1", "2", "--format", "markdown"),
               story.ok("timeline", "Bild <b>x</b>", "--format", "markdown")]
    for markdown in outputs:
        html = _html(markdown)
        assert "<script" not in html and "<img" not in html and "<b>" not in html
        assert "javascript:" not in re.findall(r'href="([^"]*)"', html).__str__()
        assert "<strong>Retracted:</strong> this update" not in html
    show = _html(outputs[0])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in show
    assert "<h1>Not a heading" not in show and "<ol>" not in show
    assert "<blockquote>\n<p>not a quote" not in show


def test_body_paragraphs_stay_paragraphs_in_markdown(story: Cli):
    story.ok("add", "s", "--id", "u2", "--stamp", "2025-11-05 09:00",
             "--text", "First paragraph.\nSecond paragraph.", "--source", "Bild")
    html = _html(story.ok("show", "s", "--format", "markdown"))
    assert "<p>First paragraph.</p>\n<p>Second paragraph.</p>" in html
    assert "<p>Sources: Bild (outlet)</p>" in html


def test_a_published_version_in_markdown_names_no_confidential_source(story: Cli):
    story.ok("add", "s", "--id", "u2", "--stamp", "2025-11-05 09:00", "--text", "Encircled.",
             "--source", "Ivan Petrovich Handlerov,kind=official,confidential",
             "--source", "Bild")
    story.ok("publish", "s")
    public = [story.ok("show", "s", "--version", "2", "--format", fmt)
              for fmt in ("markdown", "text", "json")]
    public += [story.ok("show", "s", "--at", "2999-01-01 00:00", "--format", "markdown"),
               story.ok("diff", "s", "1", "2", "--format", "markdown"),
               story.ok("diff", "s", "1", "2", "--format", "patch"),
               story.ok("diff", "s", "1", "2", "--json")]
    for output in public:
        assert "Handlerov" not in output
    assert all("Bild" in output for output in public[:4] + public[-1:])
    # the newsroom's own views still name it
    assert "Handlerov" in story.ok("show", "s")
    assert "Handlerov" in story.ok("show", "s", "--version", "2", "--audit")


# -- finding 10: direction overrides ---------------------------------------------------------

@pytest.mark.parametrize("text", ["Pokrovsk \u202eheld", "closing \u202c nothing",
                                  "isolate \u2067open", "\u2069 pdi first"])
def test_unpaired_direction_controls_are_refused(story: Cli, text: str):
    refused(story, "retitle", "s", "--headline", text, "--reason", "r")
    refused(story, "add", "s", "--text", text)
    refused(story, "add", "s", "--text", "x", "--source", text)


def test_paired_direction_controls_are_kept_and_isolated_on_the_terminal(story: Cli):
    headline = "Battle \u2067\u05e4\u05d5\u05e7\u05e8\u05d5\u05d1\u05e1\u05e7\u2069 day 3"
    story.ok("retitle", "s", "--headline", headline, "--reason", "Hebrew name")
    assert json.loads(story.ok("show", "s", "--json"))["headline"] == headline
    assert f"\u2068{headline}\u2069" in story.ok("show", "s")


# -- finding 11: a trailing newline passes the slug and id patterns --------------------------

@pytest.mark.parametrize("args", [["new", "pokrovsk-live\n", "--headline", "H"],
                                  ["add", "s", "--id", "u3\n", "--text", "x"]])
def test_a_trailing_newline_is_not_part_of_a_slug_or_id(story: Cli, args: list[str]):
    refused(story, *args)


# -- finding 14: the public note and the takedown warning say what they mean ------------------

def test_publish_note_help_says_it_is_public(story: Cli):
    help_text = story.ok("publish", "--help")
    assert "PUBLIC note" in " ".join(help_text.split())


def test_a_takedown_warns_that_exported_sites_still_hold_the_content(story: Cli):
    result = story("takedown", "s", "u1", "--grounds", "source-safety", "--reason", "r",
                   "--yes")
    assert result.exit_code == 0, result.stderr
    assert "exported before now still hold u1" in result.stderr
    assert "storylog export s" in result.stderr


def test_takedown_help_example_keeps_its_line_break(story: Cli):
    help_text = story.ok("takedown", "--help")
    assert "--grounds source-safety \\\n" in help_text


def test_the_takedown_question_prints_a_hostile_id_escaped(story: Cli):
    """Found by the open-ended command-line fuzz: the question echoed the id raw."""
    result = story("takedown", "s", "u\x1f\x9b2J", "--grounds", "source-safety",
                   "--reason", "r", input="n\n")
    assert result.exit_code == 1
    assert "u\\x1f\\x9b2J" in result.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.stderr)


def test_a_name_confidential_in_one_story_is_not_named_in_anothers_public_views(story: Cli):
    story.ok("new", "other", "--headline", "Elsewhere")
    story.ok("add", "other", "--text", "Said so.",
             "--source", "Ivan Petrovich Handlerov,kind=official,confidential")
    story.ok("add", "s", "--id", "u2", "--stamp", "2025-11-05 09:00", "--text", "Encircled.",
             "--source", "Ivan Petrovich Handlerov,kind=official",
             "--source", "Bild,via=Ivan Petrovich Handlerov")
    story.ok("publish", "s")
    for output in (story.ok("show", "s", "--version", "2", "--format", "markdown"),
                   story.ok("diff", "s", "1", "2", "--format", "patch"),
                   story.ok("diff", "s", "1", "2", "--json")):
        assert "Handlerov" not in output
        assert "Bild" in output


def test_a_usage_error_shows_the_argument_with_its_controls_made_visible():
    """Found by the slow stage's hostile command lines: click's usage error echoed a C1
    control (CSI) raw to the terminal."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "storylog.cli", "show", "--", "--at",
                           "red \x9b31m text"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "\x9b" not in done.stderr and "\\x9b31m" in done.stderr
