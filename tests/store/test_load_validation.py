"""`storylog load` lets in only what a live command could have written.

Each file here is forged from a real export: one thing changed, content re-sealed with
the key the file carries, every hash after it recomputed (tests/store/forge.py), so the
chain verifies and only validation can catch it. Before the fix every one of them
loaded with exit 0 and then bricked the store (show, stories, rebuild, export exit 70)
or left it with a story that can never be written again, or two stories named alpha.
Now each is refused with one `Error:` line naming the line of the file, the store is
byte-identical, and every command still works.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from storylog.domain.story import story_id
from tests.conftest import Cli
from tests.proof.support import settled_bytes
from tests.store.forge import Lines, forge, parse
from tests.store.test_transfer import SLUG, build_story

EDITED = "storylog.domain.story:Story.UpdateEdited"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Lines]:
    """Exports of a story that uses most of what an event holds, and of an `alpha`."""
    source = Cli(str(tmp_path_factory.mktemp("source") / "source.db"))
    build_story(source)
    source.ok("new", "alpha", "--headline", "Another newsroom's alpha")
    source.ok("add", "alpha", "--text", "Their first update.")
    return {SLUG: parse(source.ok("events", SLUG)), "alpha": parse(source.ok("events", "alpha"))}


@pytest.fixture(scope="module")
def target_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store that already holds a story `alpha`, published."""
    db = tmp_path_factory.mktemp("target") / "target.db"
    cli = Cli(str(db))
    cli.ok("new", "alpha", "--headline", "Our alpha")
    cli.ok("add", "alpha", "--text", "Our first update.", "--source", "Reuters")
    cli.ok("publish", "alpha")
    settled_bytes(str(db))
    return db


@pytest.fixture
def target(target_template: Path, tmp_path: Path) -> Cli:
    db = tmp_path / "target.db"
    shutil.copy(target_template, db)
    return Cli(str(db))


def line_of(lines: Lines, position: int, slug: str = SLUG) -> dict[str, Any]:
    return next(x for x in lines if x["story"] == slug and x["position"] == position)


def payload(lines: Lines, position: int) -> dict[str, Any]:
    return dict(line_of(lines, position)["record"]["payload"])


def set_payload(field: str, value: Any, position: int) -> Callable[[Lines], None]:
    def change(lines: Lines) -> None:
        line_of(lines, position)["record"]["payload"][field] = value
    return change


def set_record(field: str, value: Any, position: int) -> Callable[[Lines], None]:
    def change(lines: Lines) -> None:
        line_of(lines, position)["record"][field] = value
    return change


def swap_topic(lines: Lines) -> None:
    """u3's add (event 5) relabelled as an edit, type and topic both."""
    line = line_of(lines, 5)
    line["topic"], line["type"] = EDITED, "UpdateEdited"


def duplicate_update_id(lines: Lines) -> None:
    """The second add (event 3) reuses u1's id, sealed with u1's own key."""
    first, second = line_of(lines, 2), line_of(lines, 3)
    second["record"]["payload"]["update_id"] = "u1"
    second["key"] = first["key"]


def drop_sealed(lines: Lines) -> None:
    line = line_of(lines, 5)
    for field in ("key", "content"):
        line.pop(field)
    line["record"].pop("sealed")


def extra_payload_field(lines: Lines) -> None:
    line_of(lines, 2)["record"]["payload"]["injected"] = "x"


def second_key_for_one_update(lines: Lines) -> None:
    """Event 3 becomes u1's, sealed under u1's key id but with a key of its own: the
    hostile-NDJSON fuzzer found this ended in exit 70 (InvalidTag) during the replay."""
    line_of(lines, 3)["record"]["payload"]["update_id"] = "u1"


def confidential_as_text(lines: Lines) -> None:
    line_of(lines, 3)["content"]["sources"][0]["confidential"] = "yes"


# name -> (the change, the line it is on, words the refusal must contain)
CASES: dict[str, tuple[Callable[[Lines], None], int, str]] = {
    "bad recorded_at": (set_record("recorded_at", "yesterday", 3), 3, "recorded_at"),
    "recorded_at in year 1": (set_record("recorded_at", "0001-01-01T00:00:00+00:00", 3), 3,
                              "out of range"),
    "recorded_at off UTC": (set_record("recorded_at", "0001-01-01T00:00:00+05:00", 3), 3,
                            "UTC"),
    "swapped topic": (swap_topic, 5, "UpdateEdited"),
    "class version 0": (set_record("class_version", 0, 2), 2, "class_version 0"),
    "class version from the future": (set_record("class_version", 2, 2), 2, "class_version 2"),
    "duplicated update id": (duplicate_update_id, 3, "'u1' is already used"),
    "extra payload field": (extra_payload_field, 2, "injected"),
    "ESC in the headline": (set_payload("headline", "Battle\x1b[2J for the bridge", 1), 1,
                            "control character"),
    "stamp in year 1": (set_payload("stamp", "0001-01-01T00:00", 2), 2, "out of range"),
    "missing sealed": (drop_sealed, 5, "sealed"),
    "editor with a newline": (set_record("editor", "Eve\nFAKE LOG LINE", 2), 2, "editor"),
    "edit based on a stale revision": (set_payload("base_revision", 2, 6), 6, "revision 2"),
    "version numbers skip": (set_payload("version", 3, 9), 9, "version 3"),
    # found by tests/proof/test_hostile_ndjson.py: values pydantic coerces (1 to true,
    # 1.0 to 1, "yes" to true) are not what storylog writes, and the hash covers them
    "an integer for a boolean": (set_payload("key_event", 1, 2), 2, "as storylog writes"),
    "a float for an integer": (set_payload("base_revision", 1.0, 6), 6, "as storylog writes"),
    "confidential as text": (confidential_as_text, 3, "as storylog writes"),
    "a second key for one update": (second_key_for_one_update, 3, "second key"),
    "a registry event in a story": (
        lambda lines: line_of(lines, 8).update(
            topic="storylog.domain.registry:SourceRegistry.SourcesMerged",
            type="SourcesMerged"), 8, "SourcesMerged"),
    "headline not normalised": (set_payload("headline", "  The bridge falls", 8), 8,
                                "normalised"),
}


def assert_store_works(cli: Cli) -> None:
    """Every command still works on the store after a refused load."""
    assert [s["slug"] for s in orjson.loads(cli.ok("stories", "--json"))] == ["alpha"]
    for args in (("show", "alpha"), ("show", "alpha", "--version", "1", "--json"),
                 ("log", "alpha"), ("verify",), ("rebuild",), ("events", "--all"),
                 ("corrections",), ("sources",)):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
    assert cli("export", "alpha", str(Path(cli.db).parent / "site")).exit_code == 0
    cli.ok("add", "alpha", "--text", "Written after the refused load.")


def refused(cli: Cli, data: bytes, number: int, words: str) -> None:
    before = settled_bytes(cli.db)
    result = cli("load", "-", input=data)
    assert result.exit_code == 1, result.stderr
    message = result.stderr.splitlines()
    assert len(message) == 1 and message[0].startswith(f"Error: line {number} "), result.stderr
    assert words in message[0], message[0]
    assert "nothing was loaded" in message[0], message[0]
    assert settled_bytes(cli.db) == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_forged_file_whose_hashes_check_out_but_breaks_a_rule_loads_nothing(
    case: str, exports: dict[str, Lines], target: Cli
) -> None:
    change, number, words = CASES[case]
    refused(target, forge(exports[SLUG], change), number, words)
    assert_store_works(target)


def test_the_forgery_itself_is_faithful_an_unchanged_forged_file_loads(
    exports: dict[str, Lines], target: Cli
) -> None:
    """The control: re-sealing and re-hashing alone changes nothing a check looks at, so
    each refusal above is about its one change."""
    result = target("load", "-", input=forge(exports[SLUG], lambda lines: None))
    assert result.exit_code == 0, result.stderr
    assert target("verify").exit_code == 0
    assert orjson.loads(target.ok("show", SLUG, "--json"))["headline"] == "The bridge falls"


def test_a_file_labelled_as_another_story_cannot_bring_in_a_second_alpha(
    exports: dict[str, Lines], target: Cli
) -> None:
    """Another newsroom's `alpha`, every line relabelled `beta` (its story id too, content
    re-sealed under beta's keys): before the fix it loaded beside our alpha."""
    beta = str(story_id("beta"))

    def relabel(lines: Lines) -> None:
        for line in lines:
            line["story"], line["story_id"] = "beta", beta

    refused(target, forge(exports["alpha"], relabel), 1, "labels story 'alpha' as 'beta'")
    assert_store_works(target)


def test_a_record_nested_500_deep_is_refused_with_exit_1(
    exports: dict[str, Lines], target: Cli
) -> None:
    deep: Any = "x"
    for _ in range(500):
        deep = [deep]
    line = dict(exports[SLUG][0], record=dict(exports[SLUG][0]["record"], payload=deep))
    import json  # orjson writes no more than 255 levels

    refused(target, json.dumps(line).encode() + b"\n", 1, "nested")
    assert_store_works(target)
