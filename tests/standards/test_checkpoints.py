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
