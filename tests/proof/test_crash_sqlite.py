"""Crash (SQLite): kill -9 a writer at random moments, then check nothing acknowledged
was lost, nothing was half-written, and re-runs with the same --command-id write once.

Most rounds run one long-lived writer (tests/proof/writer.py: the real command line,
in-process, command after command: adds, edits of every kind, retractions,
publications, retitles, legal and source-safety takedowns, each with its own
--command-id) and SIGKILL it after a random delay. Every fifth round runs real
`python -m storylog.cli` processes one after another instead, and kills the last one
at a random moment of its life. After each kill: `PRAGMA integrity_check`, the
chains as stored, `storylog verify`, and the checks of ``crashcheck``, whose commands
run in this process; every store they open is closed before the next kill, as a
process's exit would close it (with the file held open here, SQLite would trust the WAL
index a killed writer left behind instead of recovering it, which no real run sees).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.proof.crashcheck import Ledger, check_store
from tests.proof.support import (
    REPO,
    Command,
    Store,
    assert_fixed,
    cli_for,
    held_open,
    integrity,
    read_acks,
    sessions_closed,
    start_writer,
    storylog_process,
    wait_for_line,
)

KILLS = int(os.environ.get("STORYLOG_PROOF_KILLS", "100"))
ROUNDS_PER_DB = 20
SLUG = "bridge-live"
EDITOR = "crash"
SEED = 8_100


def new_store(db: str) -> None:
    cli = cli_for(db, EDITOR)
    cli.ok("new", SLUG, "--headline", "Battle for the bridge", "--tz", "Europe/Kyiv")
    cli.ok("add", SLUG, "--text", "First report from the bridge.", "--stamp", "2025-11-04 09:00",
           "--command-id", "seed-add")


def writer_round(db: str, folder: Path, n: int, rng: random.Random) -> list[Command]:
    """One writer, killed after a random delay; returns the commands it began."""
    acks = folder / f"acks-{n}.ndjson"
    process = start_writer("crash", SLUG, str(acks), f"r{n}", db=db, editor=EDITOR)
    try:
        wait_for_line(acks, b'"ready"', process=process)
        time.sleep(rng.uniform(0.0, 0.8))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    return read_acks(acks)


def process_round(db: str, n: int, rng: random.Random, known: list[str]) -> tuple[
        list[Command], bool]:
    """Real `python -m storylog.cli` processes: two run to the end, the third is killed
    at a random moment (while it imports, opens the store, writes or catches up)."""
    commands = []
    for i in range(3):
        cid = f"p{n}-{i}"
        if i == 1 and known:
            argv = ["edit", SLUG, known[-1], "--kind", "correction", "--reason", "process",
                    "--note", "A figure was corrected.", "--text",
                    f"Corrected by process {n}: about {rng.randint(1, 99)}%."]
        else:
            argv = ["add", SLUG, "--text", f"Process {n}.{i} reports shelling.",
                    "--stamp", "2025-11-05 10:00"]
        argv += ["--command-id", cid]
        command = Command(cid, argv)
        commands.append(command)
        if i < 2:
            done = storylog_process(*argv, db=db, editor=EDITOR)
            command.code, command.out, command.err = (done.returncode, done.stdout.decode(),
                                                      done.stderr.decode())
            continue
        env_db = dict(os.environ, STORYLOG_DB=db, STORYLOG_EDITOR=EDITOR)
        process = subprocess.Popen([sys.executable, "-m", "storylog.cli", *argv], env=env_db,
                                   cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.05, 0.45))
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate()
        if process.returncode == -signal.SIGKILL:
            return commands, True
        command.code, command.out, command.err = process.returncode, out.decode(), err.decode()
    return commands, False


@pytest.mark.slow
def test_killed_writers_lose_nothing_acknowledged_and_write_nothing_twice(
    tmp_path: Path, tally,
) -> None:
    t = tally("crash-sqlite")
    rng = random.Random(SEED)
    failures: list[str] = []
    kills = rounds = 0
    ledger = Ledger()
    db = ""
    known_updates: list[str] = []
    totals = {"acknowledged": 0, "re-run": 0, "stored before the kill": 0, "refused": 0,
              "internal errors": 0}

    def add_up(ledger: Ledger) -> None:
        totals["acknowledged"] += len(ledger.acked)
        totals["re-run"] += ledger.reruns
        totals["stored before the kill"] += ledger.reruns_stored_before
        totals["refused"] += len(ledger.refused)
        totals["internal errors"] += sum(1 for r in ledger.refused if "exit 70" in r)

    while kills < KILLS:
        if rounds % ROUNDS_PER_DB == 0:
            if db:
                add_up(ledger)
            db = str(tmp_path / f"crash-{rounds // ROUNDS_PER_DB}.db")
            with sessions_closed():
                new_store(db)
            ledger = Ledger()
            known_updates = ["u1"]
        folder = tmp_path / f"round-{rounds}"
        folder.mkdir()
        # As with real commands, nothing else holds the file open when the writer dies.
        assert not held_open(db), held_open(db)
        if rounds % 5 == 4:
            commands, killed = process_round(db, rounds, rng, known_updates)
        else:
            commands, killed = writer_round(db, folder, rounds, rng), True
        rounds += 1
        kills += killed
        for command in commands:
            ledger.take(command)
            if command.acknowledged and command.op == "add":
                known_updates.append(command.out.strip())
        check = integrity(db)
        problems = [] if check == "ok" else [f"integrity_check: {check[:300]}"]
        cut = [c for c in commands if c.code is None]
        with sessions_closed():
            problems += check_store(db, SLUG, ledger, EDITOR, rng, cut)
        if rounds % 10 == 0:  # now and then, verify from a fresh process too
            done = storylog_process("verify", db=db, editor=EDITOR)
            if done.returncode != 0:
                problems.append(f"verify process exit {done.returncode}: {done.stderr[:300]!r}")
        t.case(not problems, f"round {rounds}: {problems[:3]}")
        failures += [f"round {rounds}: {p}" for p in problems]

    add_up(ledger)
    databases = (rounds - 1) // ROUNDS_PER_DB + 1
    t.notes.append(f"{kills} kills in {rounds} rounds, {databases} databases; "
                   f"{totals['acknowledged']} commands acknowledged (each checked after every "
                   "later kill in its database); "
                   f"{totals['re-run']} cut-off commands re-run with their --command-id "
                   f"({totals['stored before the kill']} had been stored before the kill); "
                   f"{totals['refused']} commands refused")
    t.notes += [f"refused: {r}" for r in ledger.refused[:3]]
    assert not totals["internal errors"], ledger.refused
    assert not failures, "\n".join(failures[:30])


# -- bugs the crash rounds ran into ---------------------------------------------------


@pytest.mark.slow
def test_a_retitle_rerun_with_its_command_id_after_a_crash_does_not_write_again(
    sqlite_db: str, tally,
) -> None:
    """A regression test: until 338ce10, Story.done_by never saw DetailsChanged events,
    so this re-run was applied a second time, reverting the colleague's headline."""
    t = tally("crash-sqlite")
    cli = cli_for(sqlite_db, EDITOR)
    new_store(sqlite_db)
    # The first retitle was stored, but its process was killed before it said so ...
    cli.ok("retitle", SLUG, "--headline", "Bridge falls", "--reason", "news",
           "--command-id", "retitle-1")
    # ... a colleague retitles meanwhile, and then the first command is re-run.
    cli.ok("retitle", SLUG, "--headline", "Bridge retaken", "--reason", "news",
           "--command-id", "retitle-2")

    before = Store(sqlite_db).count()
    rerun = cli("retitle", SLUG, "--headline", "Bridge falls", "--reason", "news",
                "--command-id", "retitle-1")
    after = Store(sqlite_db).count()
    headline = orjson.loads(cli.ok("show", SLUG, "--json"))["headline"]
    t.case(rerun.exit_code == 0 and after == before and headline == "Bridge retaken",
           f"retitle re-run: exit {rerun.exit_code}, wrote {after - before} events; "
           f"headline now {headline!r}")
    assert rerun.exit_code == 0, rerun.stderr
    assert after == before
    assert headline == "Bridge retaken"


@pytest.mark.slow
def test_a_source_safety_takedown_on_sqlite_succeeds_and_leaves_the_story_readable(
    sqlite_db: str, tally,
) -> None:
    """A regression test: at 7f4e5ad, ReadModel.apply held SQLite's one writer while the
    fold of the takedown destroyed the key in a second write transaction (a deadlock until
    the lock timeout: exit 6, and every later catch-up the same)."""
    t = tally("crash-sqlite")
    new_store(sqlite_db)
    cli = cli_for(sqlite_db, EDITOR)
    fast = {"STORYLOG_LOCK_TIMEOUT": "2"}
    takedown = cli("takedown", SLUG, "u1", "--grounds", "source-safety", "--reason", "risk",
                   "--yes", "--command-id", "td-1", env=fast)
    show = cli("show", SLUG, "--json", env=fast)
    t.case(takedown.exit_code == 0 and show.exit_code == 0,
           f"source-safety takedown exit {takedown.exit_code}, then show exit "
           f"{show.exit_code}: {show.stderr.strip()[:120]}")
    assert takedown.exit_code == 0, takedown.stderr
    assert show.exit_code == 0, show.stderr


# A `storylog` process that dies (as if killed) the moment it starts destroying a key.
DIES_AT_ERASURE = r'''
import os, sys
import storylog.app.service as service
service.StoryApp._destroy_key = lambda *args: os._exit(137)
from storylog.cli import main
sys.argv = ["storylog", *sys.argv[1:]]
main()
'''


@pytest.mark.slow
def test_a_source_safety_takedown_cut_off_by_kills_is_still_finished_by_the_next_catch_up(
    sqlite_db: str, tally,
) -> None:
    """A regression test: after 84396e8 a process killed between the read models' commit
    of a source-safety takedown and the key's destruction left the key for good (fixed in
    a9d6fa2: every catch-up finishes such erasures)."""
    t = tally("crash-sqlite")
    new_store(sqlite_db)
    env = dict(os.environ, STORYLOG_DB=sqlite_db, STORYLOG_EDITOR=EDITOR)

    def dies(*argv: str) -> int:
        return subprocess.run([sys.executable, "-c", DIES_AT_ERASURE, *argv], env=env,
                              capture_output=True, cwd=REPO, timeout=120).returncode

    # The takedown is saved; its process is killed as it starts destroying the key ...
    assert dies("takedown", SLUG, "u1", "--grounds", "source-safety", "--reason", "risk",
                "--yes", "--command-id", "td-1") == 137
    # ... and the next reader, catching up, is killed at the same point.
    assert dies("show", SLUG, "--json") == 137
    cli = cli_for(sqlite_db, EDITOR)
    cli.ok("show", SLUG, "--json")
    cli.ok("stories")
    from tests.proof.crashcheck import unerased

    store = Store(sqlite_db)
    left = unerased(store, store.rows())
    t.case(not left, f"after two kills: {left}")
    assert not left


@pytest.mark.slow
def test_a_command_rerun_after_a_thousand_later_ones_still_does_not_write_twice(
    sqlite_db: str, tally,
) -> None:
    """A regression test: at 338ce10 Story.done_by remembered only the last 1,000 command
    ids, so this re-run wrote again (since a9d6fa2 the read models are consulted and the
    re-run is refused; printing the first result would do as well)."""
    from storylog.app.commands import add_update
    from storylog.app.service import StoryApp

    t = tally("crash-sqlite")
    new_store(sqlite_db)
    cli = cli_for(sqlite_db, EDITOR)
    first = cli.ok("add", SLUG, "--text", "The first report.", "--stamp", "2025-11-04 10:00",
                   "--command-id", "long-ago").strip()
    app = StoryApp(sqlite_db)
    try:
        for i in range(1000):
            add_update(app, SLUG, body=f"Later report {i}.", stamp="2025-11-05 10:00",
                       editor=EDITOR, command_id=f"later-{i}")
    finally:
        app.close()
    before = Store(sqlite_db).count()
    again = cli("add", SLUG, "--text", "The first report.", "--stamp", "2025-11-04 10:00",
                "--command-id", "long-ago")
    after = Store(sqlite_db).count()
    recognised = (again.exit_code == 0 and again.stdout.strip() == first) or (
        again.exit_code == 1 and "long-ago" in again.stderr)
    t.case(recognised and after == before,
           f"re-run after 1000 commands: exit {again.exit_code}, printed "
           f"{again.stdout.strip()!r} (first {first!r}), wrote {after - before}")
    assert after == before, again.stdout
    assert recognised, (again.exit_code, again.stdout, again.stderr)



@pytest.mark.slow
def test_verify_does_not_call_snapshots_altered_after_a_source_safety_takedown(
    sqlite_db: str, tally,
) -> None:
    from storylog.app.commands import add_update, edit_update
    from storylog.app.service import StoryApp

    t = tally("crash-sqlite")
    new_store(sqlite_db)  # u1 at position 2
    app = StoryApp(sqlite_db)
    try:
        edit_update(app, SLUG, "u1", kind="update", reason="more", body="Edited at 3.",
                    editor=EDITOR)
        for i in range(47):  # position 50: a snapshot is taken
            add_update(app, SLUG, body=f"Report {i}.", stamp="2025-11-05 10:00",
                       editor=EDITOR)
    finally:
        app.close()
    cli = cli_for(sqlite_db, EDITOR)
    assert cli("verify").exit_code == 0
    cli.ok("takedown", SLUG, "u1", "--grounds", "source-safety", "--reason", "risk", "--yes")
    verify = cli("verify")
    t.case(verify.exit_code == 0, f"verify after an erasure: exit {verify.exit_code}: "
                                  f"{verify.stderr.strip()[:100]}")
    assert_fixed(verify.exit_code == 0, verify.stderr)
