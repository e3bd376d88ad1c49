"""Backups that respect erasure, through the real CLI on SQLite and PostgreSQL: the events
backup holds no key, a restore gives back the same store, and after a source-safety
erasure the erasure report names the key backups that still hold the key."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.conftest import Cli
from tests.store.test_keys import (
    SLUG,
    TEXTS,
    a_story,
    another_place,
    apart,
    one_error,
    secrets,
)


def test_an_events_backup_holds_no_key_bytes_and_no_opened_text(
    cli: Cli, db: str, tmp_path: Path,
) -> None:
    a_story(cli)
    events = tmp_path / "events.storylog"
    done = orjson.loads(cli.ok("backup", str(events), "--json"))
    assert done["events"] >= 8
    data = events.read_bytes()
    held = secrets(db)
    assert len(held) == 3
    assert [k for k, s in held.items() if s in data] == []
    assert [t for t in TEXTS.values() if t.encode() in data] == []  # no read models
    # The key backup does hold them: the search above can find key bytes in a file.
    keys = tmp_path / "keys.storylog"
    cli.ok("backup-keys", str(keys), "--retention", "30")
    assert all(s in keys.read_bytes() for s in held.values())
    assert oct(events.stat().st_mode & 0o777) == "0o600"


def test_a_restore_gives_back_the_same_chains_and_views_and_verifies(
    cli: Cli, db: str, tmp_path: Path,
) -> None:
    with another_place(db, tmp_path, "live-keys") as live_keys:
        run = apart(cli, live_keys)
        a_story(run)
        run.ok("keys", "where")
        events, keys = tmp_path / "events.storylog", tmp_path / "keys.storylog"
        run.ok("backup", str(events))
        run.ok("backup-keys", str(keys))
        with another_place(db, tmp_path, "new-events") as new_db, \
                another_place(db, tmp_path, "new-keys") as new_keys:
            restored = apart(Cli(new_db), new_keys)
            done = orjson.loads(restored.ok("restore", str(events), str(keys), "--json"))
            assert done["stories"] == 1
            assert restored.ok("verify") == run.ok("verify")  # same chain heads
            for args in (("show", SLUG, "--json"), ("show", SLUG, "--version", "1"),
                         ("show", SLUG, "--audit"), ("log", SLUG, "--json"),
                         ("corrections", "--json")):
                assert restored.ok(*args) == run.ok(*args), args
            # A second restore into the now existing store is refused, the store unchanged.
            one_error(restored("restore", str(events), str(keys)), 1, "already")
            assert restored.ok("verify") == run.ok("verify")


def test_restore_refuses_another_stores_key_backup_and_a_file_that_is_no_backup(
    cli: Cli, db: str, tmp_path: Path,
) -> None:
    a_story(cli)
    events, keys = tmp_path / "events.storylog", tmp_path / "keys.storylog"
    cli.ok("backup", str(events))
    other = Cli(str(tmp_path / "other.db"))
    other.ok("new", "elsewhere", "--headline", "Elsewhere")
    other.ok("backup-keys", str(keys))
    target = Cli(str(tmp_path / "target.db"))
    one_error(target("restore", str(events), str(keys)), 1, "another store")
    one_error(target("restore", str(keys), str(keys)), 1, "not a storylog events backup")
    assert not Path(target.db).exists()
    one_error(cli("backup", str(events)), 1, "already exists")


def test_an_erasure_after_a_key_backup_is_reported_with_where_the_key_still_lives(
    cli: Cli, db: str, tmp_path: Path,
) -> None:
    with another_place(db, tmp_path, "live-keys") as live_keys:
        run = apart(cli, live_keys)
        a_story(run)
        before = tmp_path / "keys-before.storylog"
        run.ok("backup-keys", str(before), "--retention", "10")
        report = orjson.loads(run.ok("erasure-report", "--json"))
        assert report["backups"] == []
        run.ok("takedown", SLUG, "u1", "--grounds", "source-safety", "--reason", "officer",
               "--yes")
        after = tmp_path / "keys-after.storylog"
        run.ok("backup-keys", str(after))
        # The live store cannot open the content any more, not even for auditors.
        audit = run.ok("show", SLUG, "--audit")
        assert TEXTS["u1"] not in audit
        assert TEXTS["u1"] not in run.ok("events", "--all", "--audit")
        # The report says where the key still lives, and until when.
        report = orjson.loads(run.ok("erasure-report", "--json"))
        assert report["erased_keys"] == 1
        [held] = report["backups"]
        assert held["file"] == str(before.resolve())
        assert held["expired"] is False
        assert held["expires_at"][:10] > held["made_at"][:10]
        assert [(k["story"], k["update"]) for k in held["erased_keys"]] == [(SLUG, "u1")]
        text = run("erasure-report")
        assert str(before.resolve()) in text.stdout and "u1" in text.stdout
        assert str(after.resolve()) not in text.stdout
        assert "1 key backup still holds one" in text.stderr


def test_new_commands_have_help_with_an_example(cli: Cli) -> None:
    for command in (["backup"], ["backup-keys"], ["restore"], ["erasure-report"],
                    ["keys", "move"], ["keys", "where"]):
        out = cli.ok(*command, "--help")
        assert "Example:" in out and "storylog" in out.split("Example:")[1], command


def test_a_key_backup_older_than_the_events_is_refused_and_an_erasure_is_not_undone(
    cli: Cli, db: str, tmp_path: Path,
) -> None:
    a_story(cli)
    old_keys = tmp_path / "old-keys.storylog"
    cli.ok("backup-keys", str(old_keys))
    cli.ok("add", SLUG, "--id", "u4", "--text", "A later update.")
    keys = tmp_path / "keys.storylog"
    cli.ok("backup-keys", str(keys))  # holds u1's key: made before the erasure
    cli.ok("takedown", SLUG, "u1", "--grounds", "source-safety", "--reason", "officer", "--yes")
    events = tmp_path / "events.storylog"
    cli.ok("backup", str(events))
    target = Cli(str(tmp_path / "target.db"))
    one_error(target("restore", str(events), str(old_keys)), 1, "u4", "after the events")
    assert not Path(target.db).exists()
    target.ok("restore", str(events), str(keys))
    assert TEXTS["u1"] not in target.ok("show", SLUG, "--audit")
    assert [k for k in secrets(target.db) if k.endswith("/u1")] == []
    assert target.ok("show", SLUG, "--json") == cli.ok("show", SLUG, "--json")
