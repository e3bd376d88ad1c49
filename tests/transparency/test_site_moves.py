"""The public log survives a backup and restore, and an exact move (`events --all` then
`load`), so a moved store's site still extends every checkpoint readers saved: its
records (which commit salts an erasure destroys) and its signed tree heads are not
derived and cannot be made again (issue 15)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson

from tests.conftest import Cli
from tests.transparency.site_helpers import WK, export, make_store, vkey


def _published_then_erased(tmp: Path) -> tuple[Cli, Path, Path, Path]:
    """A store whose site was exported (its checkpoint saved), then an update erased
    (source safety) and republished: the old records can no longer be rebuilt."""
    cli, key = make_store(tmp)
    site = tmp / "site"
    export(cli, key, site)
    saved = tmp / "saved-checkpoint"
    shutil.copyfile(site / WK / "checkpoint", saved)
    cli.ok("takedown", "town", "u2", "--grounds", "source-safety", "--reason", "risk", "--yes")
    cli.ok("publish", "town")
    return cli, key, site, saved


def _holds_to(moved: Cli, key: Path, site: Path, saved: Path, before: bytes) -> None:
    """The moved store's site, exported again, extends the checkpoint saved before."""
    export(moved, key, site)
    done = moved("verify-site", str(site), "--pubkey", vkey(site), "--since", str(saved))
    assert done.exit_code == 0, done.stdout + done.stderr
    v1 = json.loads((site / WK / "records" / "town" / "v1.json").read_text())
    assert v1["hash"] == before


def test_a_restored_store_keeps_its_public_log(tmp_path):
    cli, key, site, saved = _published_then_erased(tmp_path)
    before = json.loads((site / WK / "records" / "town" / "v1.json").read_text())["hash"]
    events, keys = tmp_path / "events.storylog", tmp_path / "keys.storylog"
    cli.ok("backup", str(events))
    cli.ok("backup-keys", str(keys))
    restored = Cli(str(tmp_path / "restored.db"))
    restored.ok("restore", str(events), str(keys))
    _holds_to(restored, key, site, saved, before)


def test_an_exact_move_keeps_its_public_log(tmp_path):
    cli, key, site, saved = _published_then_erased(tmp_path)
    before = json.loads((site / WK / "records" / "town" / "v1.json").read_text())["hash"]
    moved_file = tmp_path / "all.ndjson"
    cli.ok("events", "--all", "-o", str(moved_file))
    moved = Cli(str(tmp_path / "moved.db"))
    loaded = moved("load", str(moved_file))
    assert loaded.exit_code == 0, loaded.stderr
    assert "loaded 3 public records (the store's public log)" in loaded.stderr
    _holds_to(moved, key, site, saved, before)
    kinds = [orjson.loads(line).get("storylog") for line in moved_file.read_bytes().splitlines()]
    assert kinds.count("public-record") == 3 and kinds.count("tree-head") == 1


def test_a_redacted_export_leaves_the_public_log_out(tmp_path):
    cli, _, _, _ = _published_then_erased(tmp_path)
    out = cli.ok("events", "--all", "--redacted")
    assert '"public-record"' not in out and '"tree-head"' not in out


def _altered(tmp_path: Path, change) -> tuple[Cli, Path, bytes]:
    cli, _, _, _ = _published_then_erased(tmp_path)
    lines = [orjson.loads(x) for x in cli.ok("events", "--all").encode().splitlines()]
    change(lines)
    target = tmp_path / "target.db"
    return Cli(str(target)), target, b"".join(orjson.dumps(x) + b"\n" for x in lines)


def _refused(tmp_path: Path, change, says: str) -> None:
    target, path, data = _altered(tmp_path, change)
    done = target("load", "-", input=data)
    assert done.exit_code == 1, done.stdout + done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not path.exists() or not target.ok("stories").strip()


def _record(lines, seq):
    return next(x for x in lines if x.get("storylog") == "public-record" and x["seq"] == seq)


def _head(lines):
    return next(x for x in lines if x.get("storylog") == "tree-head")


def test_a_load_refuses_an_altered_public_record(tmp_path):
    _refused(tmp_path, lambda ls: _record(ls, 1)["record"].update(headline="Rewritten"),
             "its leaf is not its record's")


def test_a_load_refuses_public_records_out_of_order(tmp_path):
    _refused(tmp_path, lambda ls: _record(ls, 2).update(seq=5), "out of order")


def test_a_load_refuses_a_public_log_missing_a_record(tmp_path):
    def change(ls):
        ls[:] = [x for x in ls if x.get("storylog") != "public-record" or x["seq"] != 3]
    _refused(tmp_path, change, "is not the tree of the file's first 3")


def test_a_load_into_a_store_with_a_public_log_of_its_own_is_refused(tmp_path):
    cli, _, _, _ = _published_then_erased(tmp_path)
    data = cli.ok("events", "--all")
    other = Cli(str(tmp_path / "other.db"))
    other.ok("new", "solo", "--headline", "Solo")
    other.ok("add", "solo", "--id", "s1", "--stamp", "2024-11-06 09:00", "--text", "Alone.")
    other.ok("publish", "solo")
    other.ok("keygen", str(tmp_path / "other.key"))
    export(other, tmp_path / "other.key", tmp_path / "other-site")
    done = other("load", "-", input=data)
    assert done.exit_code == 1, done.stdout + done.stderr
    assert "has a public log of its own" in done.stderr
    assert other.ok("stories").count("\n") == 1  # nothing was loaded


def test_a_load_refuses_a_tree_head_of_another_tree(tmp_path):
    _refused(tmp_path, lambda ls: _head(ls).update(root="00" * 32),
             "is not the tree of the file's first")


def test_a_load_refuses_a_record_of_an_event_the_file_lacks(tmp_path):
    def change(ls):
        ls[:] = [x for x in ls if "storylog" in x or x["story"] != "river"]
    _refused(tmp_path, change, "which the file does not hold")


def test_a_cosigned_log_moves_from_either_backend(cli, tmp_path):
    """From SQLite or PostgreSQL, a backup and an exact move keep the log and the
    witness's cosignature on its head (appended beside the head, never rewriting it)."""
    cli.ok("new", "town", "--headline", "T")
    cli.ok("add", "town", "--id", "u1", "--stamp", "2024-11-04 10:00", "--text", "A.",
           "--source", "Someone,confidential")
    cli.ok("publish", "town")
    key = tmp_path / "k"
    cli.ok("keygen", str(key))
    site = tmp_path / "site"
    export(cli, key, site)
    witness = cli.ok("witness", "keygen", "witness.example/w1", str(tmp_path / "w.key")).strip()
    cli.ok("witness", "cosign", str(site), "--key", str(tmp_path / "w.key"), "--state",
           str(tmp_path / "w.json"), "--log-key", vkey(site), "--out", str(tmp_path / "cosigned"))
    export(cli, key, site, "--cosigned", str(tmp_path / "cosigned"))
    saved = tmp_path / "saved"
    shutil.copyfile(site / WK / "checkpoint", saved)
    cli.ok("takedown", "town", "u1", "--grounds", "source-safety", "--reason", "r", "--yes")
    cli.ok("publish", "town")
    cli.ok("backup", str(tmp_path / "events.storylog"))
    cli.ok("backup-keys", str(tmp_path / "keys.storylog"))
    cli.ok("events", "--all", "-o", str(tmp_path / "all.ndjson"))
    restored = Cli(str(tmp_path / "restored.db"))
    restored.ok("restore", str(tmp_path / "events.storylog"), str(tmp_path / "keys.storylog"))
    moved = Cli(str(tmp_path / "moved.db"))
    moved.ok("load", str(tmp_path / "all.ndjson"))
    for name, other in (("restored", restored), ("moved", moved)):
        there = tmp_path / f"site-{name}"
        export(other, key, there)
        assert "— witness.example/w1 " in (there / WK / "checkpoints" / "1").read_text()
        done = other("verify-site", str(there), "--pubkey", vkey(there), "--since", str(saved))
        assert done.exit_code == 0, done.stdout + done.stderr
        old = other("verify-site", str(there), "--pubkey", vkey(there), "--since", str(saved),
                    "--witness", witness)
        assert old.exit_code == 5  # the new head is not cosigned yet: it says so
