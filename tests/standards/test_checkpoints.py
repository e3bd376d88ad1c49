"""Signed checkpoints catch what a hash chain cannot: a rewrite with recomputed hashes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import orjson
import pytest

from storylog.store.canonical import event_hash
from tests.conftest import Cli


@pytest.fixture
def signed(sqlite_cli: Cli, tmp_path: Path) -> tuple[Cli, Path, Path]:
    cli = sqlite_cli
    cli.ok("new", "s", "--headline", "H")
    for i in range(5):
        cli.ok("add", "s", "--text", f"Update {i}.")
    cli.ok("publish", "s")
    key = tmp_path / "newsroom.key"
    cli.ok("keygen", str(key))
    log = tmp_path / "checkpoints.ndjson"
    cli.ok("checkpoint", "--key", str(key), "--log", str(log))
    return cli, log, Path(str(key) + ".pub")


def verify(cli: Cli, log: Path, pub: Path):
    return cli("verify", "--checkpoints", str(log), "--pubkey", str(pub))


def rewrite_from(db: str, position: int, editor: str) -> None:
    """Forge history the way someone with write access would: change an event and
    recompute every hash after it, so the chain alone still verifies."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT originator_id, originator_version, topic, state FROM "
                        "stored_events ORDER BY originator_version").fetchall()
    prev = None
    for oid, version, topic, state in rows:
        record = orjson.loads(state)
        if version < position:
            prev = record["hash"]
            continue
        if version == position:
            record["editor"] = editor
        if "head" in record["payload"]:  # a careful forger re-pins publications too
            record["payload"]["head"] = prev
        record["prev"] = prev
        record["hash"] = event_hash(topic, str(__import__("uuid").UUID(oid)), version, record)
        prev = record["hash"]
        conn.execute("UPDATE stored_events SET state = ? WHERE originator_id = ? AND "
                     "originator_version = ?", (orjson.dumps(record), oid, version))
    conn.commit()
    conn.close()


def test_untouched_store_verifies_against_its_checkpoints(signed):
    cli, log, pub = signed
    assert verify(cli, log, pub).exit_code == 0


def test_rewrite_with_recomputed_hashes_passes_the_chain_but_not_the_checkpoint(signed):
    cli, log, pub = signed
    rewrite_from(cli.db, 3, "forger")
    assert cli("verify", "s").exit_code == 0  # the chain alone cannot tell
    result = verify(cli, log, pub)
    assert result.exit_code == 5 and "rewritten" in result.stderr


def test_truncation_is_caught(signed):
    cli, log, pub = signed
    with sqlite3.connect(cli.db) as conn:
        conn.execute("DELETE FROM stored_events WHERE originator_version >= 6")
    assert cli("verify", "s").exit_code == 0
    result = verify(cli, log, pub)
    assert result.exit_code == 5 and "event 7" in result.stderr


def test_a_forged_or_dropped_checkpoint_is_caught(signed, tmp_path):
    cli, log, pub = signed
    cli.ok("add", "s", "--text", "More.")
    cli.ok("checkpoint", "--key", str(pub)[:-4], "--log", str(log))
    lines = log.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["checkpoint"]["chains"][0]["position"] -= 1
    log.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")
    assert "signature does not verify" in verify(cli, log, pub).stderr
    log.write_text(lines[1] + "\n")
    assert "does not follow" in verify(cli, log, pub).stderr


def test_other_key_does_not_verify(signed, tmp_path):
    cli, log, _ = signed
    other = tmp_path / "other.key"
    cli.ok("keygen", str(other))
    result = verify(cli, log, Path(str(other) + ".pub"))
    assert result.exit_code == 5 and "signature" in result.stderr


def test_publication_carries_the_latest_checkpoint(signed):
    cli, log, _ = signed
    cli.ok("add", "s", "--text", "After the checkpoint.")
    cli.ok("publish", "s")
    record = json.loads(cli.ok("events", "s").splitlines()[-1])["record"]
    first = json.loads(log.read_text().splitlines()[0])["checkpoint"]
    assert record["payload"]["checkpoint"]["seq"] == first["seq"] == 1


def test_keygen_refuses_to_overwrite(signed, tmp_path):
    cli, _, _ = signed
    assert cli("keygen", str(tmp_path / "newsroom.key")).exit_code == 1


# -- the store's own record of what was signed (issue 12, findings 4 and 9) ----------------


def store_bytes(db: str) -> bytes:
    from tests.proof.support import settled_bytes

    return settled_bytes(db)


def sign_again(cli: Cli, log: Path, pub: Path):
    return cli("checkpoint", "--key", str(pub)[:-4], "--log", str(log))


@pytest.mark.parametrize("lost", ["deleted", "emptied"])
def test_checkpoint_refuses_to_restart_the_sequence_when_the_log_is_lost(signed, lost):
    """Before the fix, `checkpoint` with the log gone signed a new checkpoint 1 and
    overwrote the store's own checkpoint 1, which a published version pinned."""
    cli, log, pub = signed
    cli.ok("add", "s", "--text", "After checkpoint 1.")
    cli.ok("publish", "s")  # pins checkpoint 1
    if lost == "deleted":
        log.unlink()
    else:
        log.write_bytes(b"")
    before = store_bytes(cli.db)
    result = sign_again(cli, log, pub)
    assert result.exit_code == 1, result.stderr
    message = result.stderr.splitlines()
    assert len(message) == 1 and message[0].startswith("Error: checkpoint 1 is missing from "
                                                       f"{log}"), result.stderr
    assert "--log" in message[0] and "checkpoints 1 to 1" in message[0], message[0]
    assert store_bytes(cli.db) == before
    assert log.read_bytes() == b"" if lost == "emptied" else not log.exists()


def test_a_truncated_log_fails_verification_by_the_publication_pins_alone(signed):
    """The store's table of checkpoints is gone too (as in a store loaded elsewhere):
    the chained publication that pins checkpoint 2 still says it was signed."""
    cli, log, pub = signed
    cli.ok("add", "s", "--text", "More.")
    assert sign_again(cli, log, pub).exit_code == 0
    cli.ok("publish", "s")  # pins checkpoint 2
    with sqlite3.connect(cli.db) as conn:
        conn.execute("DELETE FROM storylog_checkpoints")
    log.write_text(log.read_text().splitlines()[0] + "\n")
    result = verify(cli, log, pub)
    assert result.exit_code == 5, result.stderr
    assert result.stderr.startswith(f"Error: checkpoint 2 is missing from {log}"), result.stderr
    assert "published version 2 of s pins it" in result.stderr, result.stderr


def test_a_truncated_log_fails_verification_naming_the_missing_checkpoint(signed):
    """Before the fix, a log cut back to checkpoint 1 verified (exit 0) although the store
    recorded checkpoint 2 and published version 2 pinned it."""
    cli, log, pub = signed
    cli.ok("add", "s", "--text", "More.")
    assert sign_again(cli, log, pub).exit_code == 0
    cli.ok("publish", "s")  # pins checkpoint 2
    first = log.read_text().splitlines()[0]
    log.write_text(first + "\n")
    result = verify(cli, log, pub)
    assert result.exit_code == 5, result.stderr
    assert result.stderr.startswith(f"Error: checkpoint 2 is missing from {log}"), result.stderr
    assert "Traceback" not in result.stderr
    log.write_text("")
    emptied = verify(cli, log, pub)
    assert emptied.exit_code == 5 and "checkpoint 1 is missing" in emptied.stderr


# -- ordinary errors are not internal ones (issue 12, finding 12) ---------------------------


def one_error_line(result, code: int) -> str:
    assert result.exit_code == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "internal error" not in lines[0]
    return lines[0]


def test_keygen_into_a_missing_folder_is_an_ordinary_error(sqlite_cli, tmp_path):
    line = one_error_line(sqlite_cli("keygen", str(tmp_path / "missing" / "k")), 1)
    assert "missing" in line and "folder" in line


def test_keygen_onto_a_dangling_symlink_refuses_and_writes_nothing_through_it(
        sqlite_cli, tmp_path):
    target = tmp_path / "elsewhere.key"
    (tmp_path / "k").symlink_to(target)
    line = one_error_line(sqlite_cli("keygen", str(tmp_path / "k")), 1)
    assert "symlink" in line
    assert not target.exists()
    # the public half's path dangling: refused before the private key is written
    (tmp_path / "j.pub").symlink_to(tmp_path / "elsewhere.pub")
    one_error_line(sqlite_cli("keygen", str(tmp_path / "j")), 1)
    assert not (tmp_path / "j").exists() and not (tmp_path / "elsewhere.pub").exists()


def test_checkpoint_into_a_missing_folder_is_an_ordinary_error(sqlite_cli, tmp_path):
    cli = sqlite_cli
    cli.ok("new", "s", "--headline", "H")
    cli.ok("keygen", str(tmp_path / "k"))
    before = store_bytes(cli.db)
    line = one_error_line(cli("checkpoint", "--key", str(tmp_path / "k"), "--log",
                              str(tmp_path / "missing" / "log.ndjson")), 1)
    assert "cannot write the checkpoint log" in line
    assert store_bytes(cli.db) == before


@pytest.mark.parametrize("signature", [5, None, ["x"], {"a": 1}])
def test_a_checkpoint_whose_signature_is_not_text_fails_verification(signed, signature):
    cli, log, pub = signed
    line = json.loads(log.read_text())
    line["signature"] = signature
    log.write_text(json.dumps(line) + "\n")
    message = one_error_line(verify(cli, log, pub), 5)
    assert "line 1 is not a checkpoint" in message and "signature" in message
    one_error_line(sign_again(cli, log, pub), 5)
