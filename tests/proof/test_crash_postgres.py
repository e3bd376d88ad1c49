"""Crash (PostgreSQL): stop the server with `pg_ctl stop -m immediate` (no shutdown
checkpoint: the server recovers from its WAL) while a writer appends and edits, start it
again with the options scripts/pg uses, and check what test_crash_sqlite checks.

The suite runs a server of its own (scripts/pg in a temporary folder), so the other
suites' server never goes down. A command cut off by the crash (it began, and ended
without output or with exit 6, the database failing under it) is re-run with its
--command-id once the server is back: it must be stored exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proof.crashcheck import Ledger, check_store
from tests.proof.support import (
    REPO,
    Command,
    cli_for,
    read_acks,
    sessions_closed,
    start_writer,
    wait_for_line,
)

CRASHES = int(os.environ.get("STORYLOG_PROOF_PG_CRASHES", "20"))
SLUG = "bridge-live"
EDITOR = "crash"
SEED = 8_200


def bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                   key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()])
    if not found:
        pytest.fail("no PostgreSQL under /usr/lib/postgresql; scripts/test installs it")
    return found[-1]


def as_owner(*argv: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.getuid() == 0 else list(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A throwaway server started by scripts/pg, stopped and started as a crash would."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="storylog-proof-pg-"))
        self.port = free_port()
        done = subprocess.run([str(REPO / "scripts" / "pg"), "start", str(self.dir),
                               str(self.port)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        self.url = done.stdout.strip().splitlines()[-1]

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(as_owner(str(bindir() / "pg_ctl"), "-D", str(self.dir / "data"),
                                       *args), capture_output=True, text=True, timeout=120)

    def crash(self) -> None:
        done = self.pg_ctl("-m", "immediate", "-w", "stop")
        assert done.returncode == 0, done.stderr

    def start(self) -> None:
        # The options of scripts/pg's start.
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=on -c max_connections=200")
        done = self.pg_ctl("-l", str(self.dir / "server.log"), "-w", "-t", "60", "-o",
                           options, "start")
        assert done.returncode == 0, done.stdout + done.stderr

    def stop(self) -> None:
        subprocess.run([str(REPO / "scripts" / "pg"), "stop", str(self.dir)],
                       capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    started = Server()
    try:
        yield started
    finally:
        started.stop()


@pytest.mark.slow
def test_a_crashed_postgresql_server_loses_nothing_acknowledged(
    server: Server, tmp_path: Path, tally,
) -> None:
    t = tally("crash-postgres")
    rng = random.Random(SEED)
    db = server.url
    cli = cli_for(db, EDITOR)
    cli.ok("new", SLUG, "--headline", "Battle for the bridge", "--tz", "Europe/Kyiv")
    cli.ok("add", SLUG, "--text", "First report.", "--stamp", "2025-11-04 09:00",
           "--command-id", "seed-add")
    ledger = Ledger()
    failures: list[str] = []
    cut_stored = 0
    for n in range(CRASHES):
        acks = tmp_path / f"acks-{n}.ndjson"
        process = start_writer("crash", SLUG, str(acks), f"pg{n}", db=db, editor=EDITOR)
        try:
            wait_for_line(acks, b'"ready"', process=process)
            time.sleep(rng.uniform(0.1, 1.0))
            server.crash()  # mid-command: the writer's connection goes away under it
            time.sleep(rng.uniform(0.0, 0.2))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        server.start()
        commands = read_acks(acks)
        for command in commands:
            ledger.take(command)
        # Cut off: no end, or ended because the database failed (it may have committed).
        cut: list[Command] = [c for c in commands if c.code is None or c.code == 6]
        ledger.refused = [r for r in ledger.refused if "exit 6" not in r]
        before = ledger.reruns_stored_before
        with sessions_closed():
            problems = check_store(db, SLUG, ledger, EDITOR, rng, cut)
        cut_stored += ledger.reruns_stored_before - before
        t.case(not problems, f"crash {n + 1}: {problems[:3]}")
        failures += [f"crash {n + 1}: {p}" for p in problems]
    t.notes.append(f"{CRASHES} server crashes; {ledger.reruns} cut-off commands re-run "
                   f"({cut_stored} had been stored before the crash); "
                   f"{len(ledger.acked)} acknowledged commands checked after each")
    unexpected = [r for r in ledger.refused if "exit 70" in r]
    assert not unexpected, unexpected
    assert not failures, "\n".join(failures[:30])
