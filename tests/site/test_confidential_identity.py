"""Confidentiality belongs to a source's identity, across stories (issue 12, finding 1).

A name marked confidential in one story must never reach a public page of another,
nor be tied there to an anonymous citation, whatever the source registry merges.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.conftest import Cli

SECRET = "Ivan Petrovich Handlerov"
ANONYMOUS = "Le Monde officer"


def site_text(out: Path) -> str:
    """Every exported file's path and bytes, as one text to search."""
    return "\n".join(f"{p.relative_to(out).as_posix()}\n{p.read_bytes().decode()}"
                     for p in sorted(out.rglob("*")) if p.is_file()).casefold()


def two_stories(cli: Cli) -> None:
    cli.ok("new", "a", "--headline", "A")
    cli.ok("add", "a", "--text", "x", "--source", f"{SECRET},kind=official,confidential")
    cli.ok("publish", "a")
    cli.ok("new", "b", "--headline", "B")
    cli.ok("add", "b", "--text", "y", "--source", f"{ANONYMOUS},kind=anonymous")
    cli.ok("publish", "b")


def db_bytes(cli: Cli) -> bytes:
    return Path(cli.db).read_bytes()


@pytest.mark.parametrize("order", [(ANONYMOUS, SECRET), (SECRET, ANONYMOUS)])
def test_a_merge_with_a_name_confidential_in_another_story_is_refused(
        sqlite_cli: Cli, order: tuple[str, str]):
    two_stories(sqlite_cli)
    before = db_bytes(sqlite_cli)
    result = sqlite_cli("source", "merge", *order, "--reason", "r")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "--confidential-merge" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert db_bytes(sqlite_cli) == before


def test_the_issue_reproduction_publishes_nothing_of_the_confidential_name(
        sqlite_cli: Cli, tmp_path: Path):
    """The review's exact steps, with the decision given: the site of b keeps the
    anonymous citation alone, under its own name, page and kind."""
    two_stories(sqlite_cli)
    sqlite_cli.ok("source", "merge", ANONYMOUS, SECRET, "--reason", "r",
                  "--confidential-merge")
    out = tmp_path / "site"
    sqlite_cli.ok("export", "b", str(out))
    text = site_text(out)
    assert "handlerov" not in text and "official" not in text
    assert "also cited as" not in text
    assert (out / "sources" / "le-monde-officer.html").is_file()
    assert sorted(p.name for p in (out / "sources").iterdir()) == [
        "index.html", "le-monde-officer.html"]
    # The decision is recorded in the merge itself.
    events = [orjson.loads(line) for line in
              sqlite_cli.ok("events", "--all").splitlines() if line.strip()]
    merge = [e["record"] for e in events if e["type"] == "SourcesMerged"][-1]
    assert merge["class_version"] == 2 and merge["payload"]["confidential"] is True
    # Internally, the standards desk sees one source.
    assert ANONYMOUS in sqlite_cli.ok("sources")


def test_the_decision_is_refused_where_nothing_is_confidential(sqlite_cli: Cli):
    two_stories(sqlite_cli)
    sqlite_cli.ok("add", "b", "--text", "z", "--source", "Officer of Le Monde,kind=anonymous")
    before = db_bytes(sqlite_cli)
    result = sqlite_cli("source", "merge", "Officer of Le Monde", ANONYMOUS, "--reason", "r",
                        "--confidential-merge")
    assert result.exit_code == 1 and "drop --confidential-merge" in result.stderr
    assert db_bytes(sqlite_cli) == before


def test_an_identity_joined_confidentially_stays_confidential(sqlite_cli: Cli, tmp_path: Path):
    """A later merge into the joined identity needs the decision too; and after the
    confidential citation is erased (source-safety takedown), its name still never
    appears, though the registry's merge still holds it."""
    two_stories(sqlite_cli)
    sqlite_cli.ok("add", "b", "--text", "z", "--source", "Officer of Le Monde,kind=anonymous")
    sqlite_cli.ok("publish", "b")
    sqlite_cli.ok("source", "merge", ANONYMOUS, SECRET, "--reason", "r",
                  "--confidential-merge")
    sqlite_cli.ok("takedown", "a", "u1", "--grounds", "source-safety", "--reason", "r", "--yes")
    refused = sqlite_cli("source", "merge", "Officer of Le Monde", ANONYMOUS, "--reason", "r")
    assert refused.exit_code == 1 and "--confidential-merge" in refused.stderr
    sqlite_cli.ok("source", "merge", "Officer of Le Monde", ANONYMOUS, "--reason", "r",
                  "--confidential-merge")
    out = tmp_path / "site"
    sqlite_cli.ok("export", "--all", str(out))
    text = site_text(out)
    assert "handlerov" not in text and "official" not in text
    assert "also cited as" not in text
    assert {p.name for p in (out / "b" / "sources").iterdir()} == {
        "index.html", "le-monde-officer.html", "officer-of-le-monde.html"}
    sqlite_cli.ok("verify")  # the read models (with the decision) equal a rebuild's


def test_a_name_confidential_in_one_story_is_dropped_from_every_other(
        sqlite_cli: Cli, tmp_path: Path):
    two_stories(sqlite_cli)
    sqlite_cli.ok("add", "b", "--text", "z", "--source", f"{SECRET.upper()},kind=person",
                  "--source", f"Reuters,via={SECRET}")
    sqlite_cli.ok("publish", "b")
    out = tmp_path / "site"
    sqlite_cli.ok("export", "b", str(out))
    text = site_text(out)
    assert "handlerov" not in text
    assert "reuters" in text


def test_public_merges_still_join_public_names(sqlite_cli: Cli, tmp_path: Path):
    two_stories(sqlite_cli)
    sqlite_cli.ok("add", "b", "--text", "z", "--source", "Officer of Le Monde,kind=anonymous")
    sqlite_cli.ok("publish", "b")
    sqlite_cli.ok("source", "merge", "Officer of Le Monde", ANONYMOUS, "--reason", "r")
    out = tmp_path / "site"
    sqlite_cli.ok("export", "b", str(out))
    page = (out / "sources" / "le-monde-officer.html").read_text()
    assert "Also cited as" in page and "Officer of Le Monde" in page


def test_a_version_1_merge_row_still_loads(sqlite_db: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch):
    """Merges stored before class version 2 have no decision field: they load as
    ordinary (not confidential) merges, through the CLI's read side and the registry."""
    from storylog.app.service import StoryApp
    from storylog.domain.registry import (
        REGISTRY_ID,
        SourceRegistry,
        SourcesMergedPayloadV1,
    )

    cli = Cli(sqlite_db)
    cli.ok("new", "b", "--headline", "B")
    cli.ok("add", "b", "--text", "y", "--source", "Officer of Le Monde", "--source", ANONYMOUS)
    cli.ok("publish", "b")
    app = StoryApp(sqlite_db)
    try:
        # Written as class version 1 wrote it (its payload, its class_version).
        with monkeypatch.context() as patched:
            patched.setattr(SourceRegistry.SourcesMerged, "class_version", 1)
            patched.setattr(SourceRegistry.SourcesMerged, "apply", lambda self, registry: None)
            registry = SourceRegistry.create(editor="ana", command_id="c1")
            registry.trigger_event(
                SourceRegistry.SourcesMerged, editor="ana", command_id="c2",
                payload=SourcesMergedPayloadV1(source="Officer of Le Monde", into=ANONYMOUS,
                                               reason="r"))
            app.save(registry)
        stored = [orjson.loads(r.state) for r in app.recorder.select_events(REGISTRY_ID)]
        assert stored[-1]["class_version"] == 1 and "confidential" not in stored[-1]["payload"]
    finally:
        app.close()
    app = StoryApp(sqlite_db)
    try:
        loaded = app.repository.get(REGISTRY_ID)
        assert isinstance(loaded, SourceRegistry) and loaded.secret == set()
        assert loaded.resolve("officer of le monde") == "le monde officer"
    finally:
        app.close()
    cli.ok("rebuild")
    cli.ok("verify")
    assert "aka Officer of Le Monde" in cli.ok("sources")
    out = tmp_path / "site"
    cli.ok("export", "b", str(out))
    assert "Also cited as" in (out / "sources" / "le-monde-officer.html").read_text()
