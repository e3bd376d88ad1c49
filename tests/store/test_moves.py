"""Moving a whole newsroom (`events --all`, then `load`): exact, on SQLite and PostgreSQL.

Issue 13's two findings about moves, each through the real command line:
- a backup made after any source merge could not be loaded ("story 'sources' does not
  match its story_id"): the registry is now labelled ``@source-registry``;
- `events` without `--audit` left out legal holds' keys, so after `load` an update
  held for legal reasons arrived erased: every export is now exact by default.
And what an exact move means: identical chain heads, views at every version and
moment, audit views, verify (with checkpoints), corrections and sources; the store's
checkpoint records move too, so signing carries on where it stopped. The export for
third parties (`--redacted`) is separate, and `load` refuses it, saying what it lacks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import pytest

from tests.conftest import Cli, postgres_url
from tests.store.moves import differences, shown
from tests.store.test_transfer import stored_counts

SECRET = "The minister's driver said so."  # a legal hold's text
ERASED = "A soldier in the third battalion told us."  # erased for source safety


@pytest.fixture(scope="module")
def fresh_pg() -> Iterator[Any]:
    """Makes fresh PostgreSQL databases on the test server (dropped afterwards)."""
    import psycopg

    base, made = postgres_url(), []

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        made.append(name)
        return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))

    yield make
    with psycopg.connect(base, autocommit=True) as conn:
        for name in made:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def build_newsroom(cli: Cli, folder: Path) -> tuple[str, str]:
    """Two stories with merges, both kinds of takedown, a review, a retraction, a
    retitle, publications before and after signed checkpoints. Returns (log, pubkey)."""
    key, log = str(folder / "newsroom.key"), str(folder / "checkpoints.ndjson")
    cli.ok("new", "bridge-live", "--headline", "Battle for the bridge", "--tz", "Europe/Kyiv")
    cli.ok("add", "bridge-live", "--stamp", "2025-11-04 09:00", "--text", "Shelling reported.",
           "--source", "Alpha Wire,kind=agency")
    cli.ok("add", "bridge-live", "--stamp", "2025-11-04 10:00", "--text", SECRET,
           "--source", "Beta Times,kind=outlet")
    cli.ok("add", "bridge-live", "--stamp", "2025-11-04 11:00", "--text", ERASED,
           "--source", "a soldier,kind=person,confidential", "--source", "Gamma Watch,kind=osint")
    cli.ok("publish", "bridge-live")
    cli.ok("new", "port-live", "--headline", "The port", "--tz", "Europe/Kyiv")
    cli.ok("add", "port-live", "--stamp", "2025-11-05 08:00", "--text", "Ships left.",
           "--source", "Alpha Wire,kind=agency")
    cli.ok("source", "merge", "Alpha Wire", "Beta Times", "--reason", "one agency")
    cli.ok("edit", "bridge-live", "u1", "--kind", "correction", "--reason", "misread",
           "--note", "An earlier version said shelling; it was an air strike.",
           "--text", "An air strike was reported.", editor="bo")
    cli.ok("review", "bridge-live", "u1", "--revision", "2", "--note", "fine", editor="desk")
    cli.ok("keygen", key)
    cli.ok("checkpoint", "--key", key, "--log", log)
    cli.ok("publish", "port-live")
    cli.ok("takedown", "bridge-live", "u2", "--grounds", "legal", "--reason", "injunction",
           "--yes", editor="desk")
    cli.ok("takedown", "bridge-live", "u3", "--grounds", "source-safety", "--reason", "risk",
           "--yes", editor="desk")
    cli.ok("add", "port-live", "--stamp", "2025-11-05 09:00", "--text", "A ship returned.",
           "--source", "Delta Desk,kind=official")
    # One source cited twice by one update, directly and as the channel of another: the
    # timeline shows it once, and the same in every store (it depended on row order).
    cli.ok("add", "port-live", "--stamp", "2025-11-05 10:00", "--text", "Cranes idle.",
           "--source", "Epsilon Post,kind=outlet",
           "--source", "Zeta Herald,kind=outlet,via=Epsilon Post")
    cli.ok("retract", "port-live", "u2", "--reason", "wrong ship", "--note", "Withdrawn.")
    cli.ok("source", "merge", "Delta Desk", "Alpha Wire", "--reason", "one desk")
    cli.ok("retitle", "bridge-live", "--headline", "The bridge falls", "--reason", "news")
    cli.ok("publish", "bridge-live")
    cli.ok("publish", "port-live")
    cli.ok("checkpoint", "--key", key, "--log", log)
    return log, key + ".pub"


Newsroom = tuple[Cli, dict[str, str], Path, tuple[str, str]]


@pytest.fixture(scope="module")
def newsrooms(tmp_path_factory: pytest.TempPathFactory, fresh_pg: Any) -> Any:
    """The newsroom on SQLite or PostgreSQL, what it shows, and its export of everything;
    built once a backend (the tests only read it)."""
    built: dict[str, Newsroom] = {}

    def get(backend: str) -> Newsroom:
        if backend not in built:
            folder = tmp_path_factory.mktemp(f"newsroom-{backend}")
            cli = Cli(str(folder / "newsroom.db") if backend == "sqlite" else fresh_pg())
            checkpoints = build_newsroom(cli, folder)
            before = shown(cli, checkpoints=checkpoints)
            export = folder / "all.ndjson"
            cli.ok("events", "--all", "-o", str(export))
            built[backend] = (cli, before, export, checkpoints)
        return built[backend]

    return get


@pytest.fixture(params=["sqlite", "postgres"])
def newsroom(request: pytest.FixtureRequest, newsrooms: Any) -> Newsroom:
    return newsrooms(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def sqlite_newsroom(newsrooms: Any) -> Newsroom:
    """For the tests of the file itself: the newsroom on SQLite."""
    return newsrooms("sqlite")  # type: ignore[no-any-return]


@pytest.mark.parametrize("target", ["sqlite", "postgres"])
def test_a_whole_newsroom_moves_exactly_after_source_merges_and_takedowns(
        newsroom: Newsroom, target: str,
        tmp_path: Path, fresh_pg: Any) -> None:
    """Before: `load` refused the file ("story 'sources' does not match its story_id"),
    and the legal hold (u2) arrived erased."""
    _cli, before, export, checkpoints = newsroom
    moved = Cli(str(tmp_path / "moved.db") if target == "sqlite" else fresh_pg())
    loaded = moved("load", str(export), "--json")
    assert loaded.exit_code == 0, loaded.stderr
    assert orjson.loads(loaded.stdout) == {"@source-registry": 3, "bridge-live": 11,
                                           "port-live": 7}
    assert "loaded 2 checkpoint records" in loaded.stderr and "note:" not in loaded.stderr

    after = shown(moved, checkpoints=checkpoints)
    assert differences(before, after) == []

    audited = orjson.loads(moved.ok("show", "bridge-live", "--audit", "--json"))
    held, erased = (next(u for u in audited["updates"] if u["id"] == uid) for uid in ("u2", "u3"))
    assert held["body"] == SECRET and held["erased"] is False
    assert erased["body"] is None and erased["erased"] is True
    assert SECRET not in moved.ok("show", "bridge-live") and ERASED not in export.read_text()

    # The moved store signs on where the old one stopped (it knows what it signed).
    log = tmp_path / "checkpoints.ndjson"
    log.write_bytes(Path(checkpoints[0]).read_bytes())
    moved.ok("checkpoint", "--key", checkpoints[1].removesuffix(".pub"), "--log", str(log))
    assert moved("verify", "--checkpoints", str(log), "--pubkey", checkpoints[1]).exit_code == 0
    assert [orjson.loads(line)["checkpoint"]["seq"] for line in log.read_bytes().splitlines()] \
        == [1, 2, 3]
    log.write_bytes(log.read_bytes().splitlines(keepends=True)[0])  # a truncated log
    refused = moved("checkpoint", "--key", checkpoints[1].removesuffix(".pub"), "--log", str(log))
    assert refused.exit_code == 1 and "checkpoint 2 is missing" in refused.stderr


def test_the_moved_store_exports_the_same_file_again(
        newsroom: Newsroom, tmp_path: Path) -> None:
    """The export is a fixed point: every line, in the same order (the store's order of
    events across stories, which the sources' read models depend on)."""
    _, _, export, _ = newsroom
    moved = Cli(str(tmp_path / "moved.db"))
    moved.ok("load", str(export))
    again = tmp_path / "again.ndjson"
    moved.ok("events", "--all", "-o", str(again))
    assert again.read_bytes() == export.read_bytes()
    labels = [orjson.loads(line).get("story") for line in export.read_bytes().splitlines()]
    assert labels.index("@source-registry") > labels.index("port-live")  # interleaved
    assert "sources" not in labels


def test_a_legal_hold_keeps_its_key_in_a_story_export_and_an_erasure_has_none(
        cli: Cli) -> None:
    """Before: `events SLUG` without --audit left the legal hold's key out, and `load`
    turned the takedown into an erasure."""
    cli.ok("new", "s", "--headline", "H")
    cli.ok("add", "s", "--text", SECRET)
    cli.ok("add", "s", "--text", ERASED)
    cli.ok("takedown", "s", "u1", "--grounds", "court-order", "--reason", "order", "--yes")
    cli.ok("takedown", "s", "u2", "--grounds", "source-safety", "--reason", "risk", "--yes")
    lines = [orjson.loads(line) for line in cli.ok("events", "s").splitlines()]
    added = {line["record"]["payload"]["update_id"]: line for line in lines
             if line["type"] == "UpdateAdded"}
    assert "key" in added["u1"] and "content" not in added["u1"]  # held: key, no text
    assert "key" not in added["u2"] and "content" not in added["u2"]  # erased: nothing
    assert SECRET not in cli.ok("events", "s")


def test_an_old_export_with_the_registry_labelled_sources_still_loads(
        sqlite_newsroom: Newsroom, tmp_path: Path) -> None:
    _cli, before, export, checkpoints = sqlite_newsroom
    old = tmp_path / "old.ndjson"
    old.write_bytes(export.read_bytes().replace(b'"story":"@source-registry"',
                                                b'"story":"sources"'))
    moved = Cli(str(tmp_path / "moved.db"))
    loaded = moved("load", str(old), "--json")
    assert loaded.exit_code == 0, loaded.stderr
    assert "@source-registry" in orjson.loads(loaded.stdout)
    assert differences(before, shown(moved, checkpoints=checkpoints)) == []


def test_an_old_export_without_a_legal_holds_key_loads_and_says_what_it_lacks(
        sqlite_newsroom: Newsroom, tmp_path: Path) -> None:
    """Files made by `events` before this release (no --audit) lack legal holds' keys:
    they still load, and `load` says which updates arrive erased."""
    _, _, export, _ = sqlite_newsroom
    lines = [orjson.loads(line) for line in export.read_bytes().splitlines()]
    for line in lines:
        if line.get("record", {}).get("payload", {}).get("update_id") == "u2" and \
                line["story"] == "bridge-live":
            line.pop("key", None)
    old = tmp_path / "old.ndjson"
    old.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    moved = Cli(str(tmp_path / "moved.db"))
    loaded = moved("load", str(old))
    assert loaded.exit_code == 0, loaded.stderr
    notes = [line for line in loaded.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "bridge-live u2" in notes[0] and "erased" in notes[0], notes


def test_a_redacted_export_holds_nothing_internal_and_load_refuses_it(
        sqlite_newsroom: Newsroom, tmp_path: Path) -> None:
    cli, _, _, _ = sqlite_newsroom
    text = cli.ok("events", "bridge-live", "--redacted")
    header, *lines = [orjson.loads(line) for line in text.splitlines()]
    assert header["storylog"] == "redacted-export" and "update keys" in header["lacks"]
    assert len(lines) == 11
    for secret in (SECRET, ERASED, "a soldier", "injunction", "misread", '"editor"',
                   '"command_id"', '"key"', '"sealed"', '"reason"'):
        assert secret not in text, secret
    assert "An air strike was reported." in text  # what was written and not taken down
    assert "An earlier version said shelling" in text  # public notes stay

    redacted = tmp_path / "redacted.ndjson"
    redacted.write_text(text)
    target = Cli(str(tmp_path / "target.db"))
    refused = target("load", str(redacted))
    assert refused.exit_code == 1, refused.stderr
    message = refused.stderr.splitlines()
    assert len(message) == 1 and message[0].startswith("Error: this is a redacted export")
    assert "update keys" in message[0] and "events --all" in message[0]
    assert not Path(target.db).exists()


def test_a_full_export_does_not_load_into_a_store_with_its_own_registry_or_checkpoints(
        sqlite_newsroom: Newsroom, tmp_path: Path) -> None:
    _, _, export, _checkpoints = sqlite_newsroom
    target = Cli(str(tmp_path / "target.db"))
    target.ok("new", "other", "--headline", "Other")
    target.ok("add", "other", "--text", "One.", "--source", "Epsilon,kind=outlet")
    target.ok("add", "other", "--text", "Two.", "--source", "Zeta,kind=outlet")
    target.ok("source", "merge", "Epsilon", "Zeta", "--reason", "same")
    before = (stored_counts(target.db), target.ok("events", "--all"))
    refused = target("load", str(export))
    assert refused.exit_code == 1, refused.stderr
    assert "already has a source registry" in refused.stderr
    assert (stored_counts(target.db), target.ok("events", "--all")) == before

    signer = Cli(str(tmp_path / "signer.db"))
    signer.ok("new", "other", "--headline", "Other")
    key = str(tmp_path / "other.key")
    signer.ok("keygen", key)
    signer.ok("checkpoint", "--key", key, "--log", str(tmp_path / "other.ndjson"))
    refused = signer("load", str(export))
    assert refused.exit_code == 1, refused.stderr
    assert "signed checkpoints of its own" in refused.stderr
    assert orjson.loads(signer.ok("stories", "--json"))[0]["slug"] == "other"
    assert len(orjson.loads(signer.ok("stories", "--json"))) == 1


@pytest.mark.parametrize("damage", ["hash", "head", "label"])
def test_a_damaged_checkpoint_record_or_registry_label_is_refused(
        sqlite_newsroom: Newsroom, tmp_path: Path,
        damage: str) -> None:
    _, _, export, _ = sqlite_newsroom
    lines = [orjson.loads(line) for line in export.read_bytes().splitlines()]
    record = next(line for line in lines if line.get("storylog") == "checkpoint")
    if damage == "hash":
        record["hash"] = "0" * 64
    elif damage == "head":
        from storylog.store.checkpoints import checkpoint_hash

        record["signed"]["checkpoint"]["chains"][0]["head"] = "0" * 64
        record["hash"] = checkpoint_hash(record["signed"]["checkpoint"])
    else:
        for line in lines:
            if line.get("story") == "@source-registry":
                line["story"] = "@registry"
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    target = Cli(str(tmp_path / "target.db"))
    refused = target("load", str(bad))
    assert refused.exit_code == 1, refused.stderr
    assert len(refused.stderr.splitlines()) == 1 and refused.stderr.startswith("Error: line ")
    assert not Path(target.db).exists()
