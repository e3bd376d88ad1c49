"""Hostile NDJSON that only validation can catch: real exports, mutated, hashes recomputed.

hypothesis takes the export of a story that holds every kind of event (adds, edits of
every kind, a retraction, a legal takedown whose key the export withholds, a review,
three publications pinning heads), changes one thing in one line (a payload or content
field set to a hostile value, deleted or added; a record field; the topic; the update
id; the story's label), then re-seals the content with the key the file carries and
recomputes every hash after it (tests/store/forge.py), so the chain verifies and only
validation stands between the file and the store. `storylog load` of each file must
end with a documented exit code (never 70), no traceback, one `Error:` line when it
refuses, and the store byte-identical after every refusal. A file that is accepted (a
mutation can land on a value that is still valid) must leave a store on which every
command works; the store is then put back for the next example.

The run is derandomized (the same examples on every run, in CI too) and bounded by
STORYLOG_PROOF_HOSTILE_EXAMPLES (default 300: about a minute and a half).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli
from tests.proof.newsroom import SLUG, build_newsroom
from tests.proof.support import cli_for, sessions_closed, settled_bytes
from tests.store.forge import Lines, forge, parse

EXAMPLES = int(os.environ.get("STORYLOG_PROOF_HOSTILE_EXAMPLES", "300"))
DOCUMENTED = {0, 1, 2, 3, 4, 5, 6}
TOPICS = [f"storylog.domain.story:Story.{name}" for name in (
    "Opened", "DetailsChanged", "UpdateAdded", "UpdateEdited", "UpdateRetracted",
    "UpdateTakenDown", "CorrectionReviewed", "VersionPublished")] + [
    "storylog.domain.registry:SourceRegistry.Opened",
    "storylog.domain.registry:SourceRegistry.SourcesMerged"]
HOSTILE_TEXT = [
    "", " ", "\x1b[2J", "Eve\nFAKE LOG LINE", "a\rb", "\x00", "\x7f", "\u0085", "\u202eevil",
    "e\u0301", "x" * 1_001, "x" * 100_001, "u1", "u99", "../u1", "bridge-live\n", "Bridge",
    "2025-11-04T09:00", "0001-01-01T00:00", "9999-12-31T23:59", "2025-02-30T10:00",
    "2025-11-04T09:00:00+00:00", "0001-01-01T00:00:00+00:00", "yesterday", "verified",
    "correction", "copy-edit", "legal", "source-safety", "javascript:alert(1)",
    "https://example.org/x", "0" * 64, "f" * 63, "Europe/Kyiv", "Mars/Olympus", "en", "EN",
]
values = st.one_of(
    st.sampled_from(HOSTILE_TEXT), st.text(max_size=12),
    st.sampled_from([None, True, False, 0, 1, 2, -1, 3, 2**53, 2**63 - 1, 1.5, [], {}, [1],
                     {"body": "x"}, {"seq": 1, "hash": "0" * 64}, ["u1", "u1"]]),
)


def mutations(lines: Lines) -> st.SearchStrategy[Any]:
    @st.composite
    def mutate(draw: st.DrawFn) -> tuple[str, Any]:
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        record = line["record"]
        where = draw(st.sampled_from(["payload", "payload", "content", "record", "topic",
                                      "update_id", "label", "drop-sealed"]))
        container: dict[str, Any]
        if where == "payload":
            container = record["payload"]
        elif where == "content" and isinstance(line.get("content"), dict):
            container = line["content"]
            if container.get("sources") and draw(st.booleans()):
                container = container["sources"][0]
        elif where == "record":
            container = record
        else:
            container = {}
        keys = sorted(k for k in container if k not in ("prev", "hash", "sealed"))
        field = draw(st.one_of(st.sampled_from(keys), st.just("injected"))) if keys else ""
        action = draw(st.sampled_from(["set", "set", "delete"])) if field != "injected" \
            else "set"
        value = draw(values)
        topic = draw(st.sampled_from(TOPICS))
        other = draw(st.integers(0, len(lines) - 1))

        def change(forged: Lines) -> None:
            target = forged[index]
            rec = target["record"]
            if where == "topic":
                target["topic"], target["type"] = topic, topic.rsplit(".", 1)[-1]
            elif where == "update_id" and "update_id" in rec["payload"]:
                donor = forged[other]
                uid = donor["record"]["payload"].get("update_id", "u99")
                rec["payload"]["update_id"] = uid
                if "key" in donor and "key" in target:
                    target["key"] = donor["key"]
            elif where == "label":
                target["story"] = str(value) if isinstance(value, str) and value else "beta"
            elif where == "drop-sealed":
                rec.pop("sealed", None)
                target.pop("key", None)
            elif field:
                box = {"payload": rec["payload"], "record": rec}.get(where)
                if where == "content":
                    box = target["content"]
                    if box is not None and container is not line["content"]:
                        box = box["sources"][0]
                if box is not None:
                    if action == "delete":
                        box.pop(field, None)
                    else:
                        box[field] = value

        return f"line {index + 1}: {where} {field} {action} {value!r:.60} {topic}", change

    return mutate()


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lines, Path]:
    """The export of the newsroom's main story, and a store holding another story."""
    folder = tmp_path_factory.mktemp("hostile")
    source = cli_for(str(folder / "source.db"))
    build_newsroom(source)
    lines = parse(source.ok("events", SLUG))
    template = folder / "template.db"
    target = cli_for(str(template))
    target.ok("new", "alpha", "--headline", "Our alpha")
    target.ok("add", "alpha", "--text", "Ours.", "--source", "Reuters")
    target.ok("publish", "alpha")
    settled_bytes(str(template))
    return lines, template


def still_works(cli: Cli) -> list[str]:
    """The commands that a bricked store failed on, each asked to work."""
    broken = []
    for args in (("stories",), ("show", SLUG), ("show", SLUG, "--version", "1", "--json"),
                 ("log", SLUG), ("diff", SLUG), ("corrections", "--json"), ("sources",),
                 ("verify",), ("rebuild",), ("events", "--all"), ("show", "alpha"),
                 ("add", SLUG, "--text", "Written after the load.")):
        result = cli(*args)
        if result.exit_code != 0:
            broken.append(f"{args}: {result.exit_code}: {result.stderr.strip()[:160]}")
    return broken


@pytest.mark.slow
def test_hostile_ndjson_with_recomputed_hashes_is_refused_cleanly_or_loads_a_working_story(
    setting: tuple[Lines, Path], tmp_path: Path, tally,
) -> None:
    t = tally("hostile_ndjson")
    lines, template = setting
    db = tmp_path / "store.db"
    shutil.copy(template, db)
    cli = cli_for(str(db), "fuzz")
    seen: dict[int, int] = {}
    problems: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(mutations(lines))
    def run(drawn: tuple[str, Any]) -> None:
        shown, change = drawn
        data = forge(lines, change)
        before = settled_bytes(str(db))
        with sessions_closed():
            result = cli("load", "-", input=data)
        seen[result.exit_code] = seen.get(result.exit_code, 0) + 1
        said = result.stderr.strip()
        bad = []
        if result.exit_code not in DOCUMENTED:
            bad.append(f"exit {result.exit_code}")
        if "Traceback" in result.stdout + result.stderr:
            bad.append("a traceback reached the user")
        if result.exit_code != 0:
            if len(said.splitlines()) != 1 or not said.startswith("Error: "):
                bad.append("a refusal that is not one Error: line")
            if settled_bytes(str(db)) != before:
                bad.append("refused, but the store changed")
        else:
            with sessions_closed():
                bad += still_works(cli)
            shutil.copy(template, db)
            for extra in (Path(f"{db}-wal"), Path(f"{db}-shm")):
                extra.unlink(missing_ok=True)
        note = f"{bad}: {shown} -> {result.exit_code}: {said[:200]}"
        if os.environ.get("STORYLOG_PROOF_SHOW"):
            print(note)
        t.case(not bad, note)
        if bad:
            problems.append(note)
        assert not bad, note

    try:
        run()
    finally:
        t.notes.append(f"exit codes of the hostile loads: {dict(sorted(seen.items()))}")
    assert not problems
