"""What must hold after a writer was killed (or its database crashed) mid-command.

- every command the writer acknowledged (exit 0 and its output) is in the store, with
  the result it printed, exactly once;
- every chain runs 1..n with no gap, every row decodes and every hash checks
  (no half-written event), and `storylog verify` exits 0;
- a command that was cut off, re-run with the same --command-id, writes at most once:
  if it had been stored, the re-run prints the same result and the event count stays;
  if not, it is stored now, once;
- an acknowledged add re-run with its --command-id prints the same update id and
  writes nothing;
- the read models catch up: `log --json` lists exactly the stored events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson

from storylog.domain.story import story_id
from tests.proof.support import (
    Command,
    Store,
    chain_problems,
    cli_for,
    command_ids,
    record_of,
)


@dataclass
class Ledger:
    """Everything acknowledged so far in one database, across rounds."""

    acked: dict[str, Command] = field(default_factory=dict)
    adds: list[Command] = field(default_factory=list)
    reruns: int = 0
    reruns_stored_before: int = 0
    refused: list[str] = field(default_factory=list)

    def take(self, command: Command) -> None:
        if command.acknowledged:
            self.acked[command.cid] = command
            if command.op == "add":
                self.adds.append(command)
        elif command.code not in (None, 0):
            self.refused.append(f"{command.argv[:3]} exit {command.code}: "
                                f"{command.err.strip()[:200]}")


def result_of(topic: str, record: dict[str, Any]) -> str | None:
    """What the command that wrote this event printed on stdout."""
    payload = record["payload"]
    kind = topic.rsplit(".", 1)[-1]
    if kind == "UpdateAdded":
        return str(payload["update_id"])
    if kind in ("UpdateEdited", "UpdateRetracted"):
        return str(payload["base_revision"] + 1)
    if kind == "VersionPublished":
        return str(payload["version"])
    return None


def stored_by_command(
    rows_by_chain: dict[UUID, list[Any]],
) -> dict[str, tuple[str, dict[str, Any]]]:
    found = {}
    for rows in rows_by_chain.values():
        for row in rows:
            record = record_of(row)
            found[record["command_id"]] = (row.topic, record)
    return found


def check_store(db: str, slug: str, ledger: Ledger, editor: str, rng: random.Random,
                cut: list[Command]) -> list[str]:
    """Check the guarantees after a crash; returns what failed (empty: all held)."""
    problems: list[str] = []
    store = Store(db)
    chains = store.rows()
    problems += chain_problems(chains)
    counts = command_ids(chains)
    problems += [f"command {c} stored {n} times" for c, n in counts.items() if n > 1]
    stored = stored_by_command(chains)

    for cid, command in ledger.acked.items():
        if cid not in stored:
            problems.append(f"acknowledged {command.argv[:3]} ({cid}) is missing")
            continue
        expected = result_of(*stored[cid])
        if expected is not None and expected != command.out.strip():
            problems.append(f"{cid}: printed {command.out.strip()!r}, stored {expected!r}")

    cli = cli_for(db, editor)
    for command in cut:  # cut off by the crash: re-run with the same --command-id
        before = store.count()
        was_stored = command.cid in stored
        result = cli(*command.argv)
        after = store.count()
        ledger.reruns += 1
        ledger.reruns_stored_before += was_stored
        if was_stored:
            if after != before:
                problems.append(f"re-run of stored {command.cid} wrote {after - before} more")
            expected = result_of(*stored[command.cid])
            if result.exit_code != 0:
                problems.append(f"re-run of stored {command.argv[:3]} exit {result.exit_code}: "
                                f"{result.stderr.strip()[:200]}")
            elif expected is not None and result.stdout.strip() != expected:
                problems.append(f"re-run of {command.cid} printed {result.stdout.strip()!r}, "
                                f"stored {expected!r}")
        else:
            if result.exit_code != 0:
                problems.append(f"re-run of unstored {command.argv[:3]} exit "
                                f"{result.exit_code}: {result.stderr.strip()[:200]}")
            elif after != before + 1:
                problems.append(f"re-run of unstored {command.cid} wrote {after - before}")
        if result.exit_code == 0:
            command.code, command.out, command.err = 0, result.stdout, result.stderr
            ledger.take(command)

    if ledger.adds:  # an acknowledged add, re-run: same id, nothing written
        add = rng.choice(ledger.adds)
        before = store.count()
        result = cli(*add.argv)
        if result.exit_code != 0 or result.stdout.strip() != add.out.strip():
            problems.append(f"re-run of acknowledged add {add.cid}: exit {result.exit_code}, "
                            f"printed {result.stdout.strip()!r}, first {add.out.strip()!r}")
        if store.count() != before:
            problems.append(f"re-run of acknowledged add {add.cid} wrote again")

    cli("stories")  # any read catches the read models up, which finishes erasures
    verify = cli("verify")
    if verify.exit_code != 0:
        problems.append(f"verify exit {verify.exit_code}: {verify.stderr.strip()[:300]}")

    problems += unerased(store, chains)

    log = cli("log", slug, "--json")
    if log.exit_code != 0:
        problems.append(f"log exit {log.exit_code}: {log.stderr.strip()[:300]}")
    else:
        entries = orjson.loads(log.stdout)
        rows = store.rows().get(story_id(slug), [])
        if [(e["position"], e["command_id"]) for e in entries] != [
            (r.originator_version, record_of(r)["command_id"]) for r in rows
        ]:
            problems.append("log --json does not list exactly the stored events")
    return problems


def unerased(store: Store, chains: dict[UUID, list[Any]]) -> list[str]:
    """Every update taken down on source-safety grounds has lost its key for good."""
    from storylog.store.sealing import key_id

    wanted = [key_id(str(oid), record_of(r)["payload"]["update_id"])
              for oid, rows in chains.items() for r in rows
              if r.topic.endswith("UpdateTakenDown") and record_of(r)["payload"].get("erase")]
    if not wanted:
        return []
    kept = {k for k, secret in store._fetch("SELECT key_id, secret FROM storylog_keys")
            if secret is not None}
    return [f"taken down for source safety, but its key is still there: {k}"
            for k in wanted if k in kept]
