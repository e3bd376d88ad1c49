"""Writers racing on one story, each in an OS process of its own, on SQLite and PostgreSQL.

The workers are real processes running storylog's own code (``StoryApp`` with
``storylog.app.commands``, or the real command line); they meet at a barrier
made of files before they write, so that they really do race. Waiting at the
barrier is synchronisation only: no test asserts anything about time.

The racing workers open the store one at a time (a file lock around
``StoryApp(db)``): these tests are about racing writes; opening the store while
another process does is tested on its own, at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from conftest import Cli

SLUG = "race-live"
PER_WORKER = 200

# Shared by every worker: a barrier of files. Each party creates its own file and
# waits until all have; the deadline only stops a broken test from hanging forever.
BARRIER = r'''
import contextlib, fcntl, os, sys, time
from pathlib import Path

@contextlib.contextmanager
def one_at_a_time(folder):
    with open(Path(folder) / "startup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield

def barrier(folder, me, parties):
    folder = Path(folder)
    (folder / f"ready-{me}").touch()
    deadline = time.monotonic() + 60
    while len(list(folder.glob("ready-*"))) < parties:
        if time.monotonic() > deadline:
            sys.exit("barrier: the other worker never arrived")
        time.sleep(0.005)
'''

# Adds PER_WORKER updates in a loop, through StoryApp and add_update.
ADDER = BARRIER + r'''
from storylog.app.service import StoryApp
from storylog.app.commands import add_update

db, name, count, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with one_at_a_time(folder):
    app = StoryApp(db)
app.story("race-live")  # opened and reachable before the race starts
barrier(folder, name, 2)
ids = []
for i in range(count):
    ids.append(add_update(app, "race-live", body=f"{name} update {i}", editor=name,
                          stamp="2025-11-04 12:00"))
app.close()
print("\n".join(ids))
'''

# The real command line, `storylog edit ...`, with one hook: the CLI has already
# loaded the story (and so the revision the edit is based on) when it reaches
# edit_update; there the workers wait for each other, so both base on the same one.
CLI_EDITOR = BARRIER + r'''
import storylog.app.commands as commands
import storylog.app.service as service
from storylog.cli import main

folder, name = sys.argv[1], sys.argv[2]
real_edit = commands.edit_update
real_init = service.StoryApp.__init__

def init_one_at_a_time(self, db, **kw):
    with one_at_a_time(folder):
        real_init(self, db, **kw)

service.StoryApp.__init__ = init_one_at_a_time

def edit_after_barrier(*args, **kwargs):
    barrier(folder, name, 2)
    return real_edit(*args, **kwargs)

commands.edit_update = edit_after_barrier
sys.argv = ["storylog", *sys.argv[3:]]
main()
'''

# edit_update through the API with no base revision: it is based on what the
# command first loads. Both workers load, build the edit, then meet before saving.
API_EDITOR = BARRIER + r'''
from storylog.app.service import StoryApp
from storylog.app.commands import edit_update
from storylog.errors import StorylogError

db, name, folder, text = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
with one_at_a_time(folder):
    app = StoryApp(db)
real_save = app.save
waited = []

def save_after_barrier(*args, **kwargs):
    if not waited:
        waited.append(True)
        barrier(folder, name, 2)
    return real_save(*args, **kwargs)

app.save = save_after_barrier
try:
    revision = edit_update(app, "race-live", "u1", kind="update", reason="new facts",
                           body=text, editor=name)
except StorylogError as error:
    print(f"Error: {error}", file=sys.stderr)
    sys.exit(error.exit_code)
print(revision)
'''


def worker_env(db: str) -> dict[str, str]:
    return dict(os.environ, STORYLOG_DB=db, NO_COLOR="1")


def start(script: str, *args: str, db: str, editor: str = "") -> subprocess.Popen[bytes]:
    env = worker_env(db)
    if editor:
        env["STORYLOG_EDITOR"] = editor
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out.decode(), err.decode()


def show(cli: Cli) -> dict[str, Any]:
    return orjson.loads(cli.ok("show", SLUG, "--json"))


# -- adds ---------------------------------------------------------------------


def test_two_processes_adding_200_updates_each_store_all_400_once_and_verify(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("new", SLUG, "--headline", "Racing writers")
    barrier = tmp_path / "barrier-adds"
    barrier.mkdir()

    workers = {
        name: start(ADDER, cli.db, name, str(PER_WORKER), str(barrier), db=cli.db)
        for name in ("ana", "bob")
    }
    returned: dict[str, list[str]] = {}
    for name, process in workers.items():
        code, out, err = finish(process)
        assert code == 0, err
        returned[name] = out.split()
        assert len(returned[name]) == PER_WORKER

    # Every id a worker was given is its own: no two adds landed on one update.
    all_returned = returned["ana"] + returned["bob"]
    assert len(set(all_returned)) == 2 * PER_WORKER

    view = show(cli)
    updates = view["updates"]
    assert len(updates) == 2 * PER_WORKER
    ids = [u["id"] for u in updates]
    bodies = [u["body"] for u in updates]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    assert Counter(bodies) == Counter(
        f"{name} update {i}" for name in ("ana", "bob") for i in range(PER_WORKER)
    )
    assert set(ids) == set(all_returned)
    by_id = {u["id"]: u["body"] for u in updates}
    for name in ("ana", "bob"):  # each worker's id names the body it wrote
        assert [by_id[i] for i in returned[name]] == [
            f"{name} update {i}" for i in range(PER_WORKER)
        ]
    assert all(u["revision"] == 1 for u in updates)
    assert view["position"] == 1 + 2 * PER_WORKER

    log = orjson.loads(cli.ok("log", SLUG, "--json"))
    assert [e["position"] for e in log] == list(range(1, 2 + 2 * PER_WORKER))
    assert Counter(e["event"] for e in log) == {"Opened": 1, "UpdateAdded": 2 * PER_WORKER}
    assert Counter(e["editor"] for e in log[1:]) == {"ana": PER_WORKER, "bob": PER_WORKER}

    result = cli("verify", SLUG)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"ok\t{SLUG}\t{1 + 2 * PER_WORKER} events\thead ")


# -- stale edits --------------------------------------------------------------


def story_with_one_update(cli: Cli) -> None:
    cli.ok("new", SLUG, "--headline", "Racing editors")
    assert cli.ok("add", SLUG, "--text", "About 80% of the town is under control.",
                  "--stamp", "2025-11-04 10:30").strip() == "u1"


def test_a_stale_edit_from_the_cli_is_refused_with_exit_4_naming_who_changed_it(
    cli: Cli,
) -> None:
    story_with_one_update(cli)
    first = cli("edit", SLUG, "u1", "--revision", "1", "--kind", "correction",
                "--reason", "misread", "--note", "It said 80%; the report said 85%.",
                "--text", "About 85% of the town is under control.", editor="bob")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.strip() == "2"

    second = cli("edit", SLUG, "u1", "--revision", "1", "--kind", "update",
                 "--reason", "new report", "--text", "The whole town is under control.",
                 editor="cara")
    assert second.exit_code == 4, second.stderr
    lines = second.stderr.splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert "bob" in lines[0], lines[0]
    assert "revision 2" in lines[0], lines[0]
    assert second.stdout == ""

    u1 = show(cli)["updates"][0]
    assert u1["body"] == "About 85% of the town is under control."
    assert u1["revision"] == 2
    assert u1["notes"][0]["note"] == "It said 80%; the report said 85%."
    log = orjson.loads(cli.ok("log", SLUG, "--json"))
    assert [(e["event"], e["editor"]) for e in log] == [
        ("Opened", "ana"), ("UpdateAdded", "ana"), ("UpdateEdited", "bob"),
    ]
    assert cli("verify").exit_code == 0


def _race_two_editors(cli: Cli, tmp_path: Path, script: str, make_args: Any) -> None:
    story_with_one_update(cli)
    barrier = tmp_path / "barrier-edits"
    barrier.mkdir()
    texts = {"bob": "Bob: about 85% is under control.", "cara": "Cara: the town has fallen."}
    processes = {
        name: start(script, *make_args(name, str(barrier), text), db=cli.db, editor=name)
        for name, text in texts.items()
    }
    results = {name: finish(p) for name, p in processes.items()}
    # Both reached the hook, having loaded the story: they did race on one revision.
    assert sorted(p.name for p in barrier.glob("ready-*")) == ["ready-bob", "ready-cara"]
    codes = sorted(code for code, _, _ in results.values())
    assert codes == [0, 4], results

    winner = next(name for name, (code, _, _) in results.items() if code == 0)
    loser = next(name for name, (code, _, _) in results.items() if code == 4)
    assert results[winner][1].strip() == "2"
    loser_err = results[loser][2].splitlines()
    assert len(loser_err) == 1, results[loser][2]
    assert loser_err[0].startswith("Error: "), loser_err
    assert winner in loser_err[0], loser_err  # names who changed it first
    assert results[loser][1] == ""

    u1 = show(cli)["updates"][0]
    assert u1["body"] == texts[winner]  # the winner's text, not overwritten
    assert u1["revision"] == 2
    log = orjson.loads(cli.ok("log", SLUG, "--json"))
    edits = [e for e in log if e["event"] == "UpdateEdited"]
    assert len(edits) == 1
    assert edits[0]["editor"] == winner
    stored = [line["record"] for line in map(orjson.loads, cli.ok("events", SLUG).splitlines())]
    assert [r["payload"].get("base_revision") for r in stored if r["editor"] == winner] == [1]
    assert [r for r in stored if r["editor"] == loser] == []
    assert cli("verify").exit_code == 0


def test_two_cli_editors_racing_on_the_same_revision_one_applies_the_other_exits_4(
    cli: Cli, tmp_path: Path
) -> None:
    def args(name: str, barrier: str, text: str) -> list[str]:
        return [barrier, name, "edit", SLUG, "u1", "--kind", "update",
                "--reason", "new facts", "--text", text]

    _race_two_editors(cli, tmp_path, CLI_EDITOR, args)


def test_two_api_editors_without_a_base_revision_racing_one_applies_the_other_exits_4(
    cli: Cli, tmp_path: Path
) -> None:
    def args(name: str, barrier: str, text: str) -> list[str]:
        return [cli.db, name, barrier, text]

    _race_two_editors(cli, tmp_path, API_EDITOR, args)


# -- starting up --------------------------------------------------------------


def test_a_command_starting_while_another_process_opens_the_store_still_runs(
    pg_url: str,
) -> None:
    """Every storylog start on PostgreSQL runs eventsourcing's create_table, whose
    CREATE OR REPLACE FUNCTION fails with "tuple concurrently updated" when another
    process is doing the same at that moment; the command must still run (not exit 6).
    """
    import time

    import psycopg

    env = dict(worker_env(pg_url), STORYLOG_EDITOR="ana")
    opened = subprocess.run([sys.executable, "-m", "storylog.cli", "new", SLUG, "--headline", "H"],
                            env=env, capture_output=True)
    assert opened.returncode == 0, opened.stderr
    # Another storylog process, half-way through opening the store: it has re-created
    # the insert function (exactly as stored) and not committed yet.
    opening = psycopg.connect(pg_url)
    try:
        definitions = opening.execute(
            "SELECT pg_get_functiondef(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
        ).fetchall()
        assert definitions, "the store has no functions: the test no longer fits eventsourcing"
        for (definition,) in definitions:
            opening.execute(definition)

        show_ = subprocess.Popen(
            [sys.executable, "-m", "storylog.cli", "show", SLUG, "--json"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        # Wait (synchronisation only) until `show` is queued behind the other opener.
        with psycopg.connect(pg_url, autocommit=True) as watch:
            while show_.poll() is None and not watch.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]:
                time.sleep(0.01)
        opening.commit()
    finally:
        opening.close()
    out, err = show_.communicate(timeout=60)
    assert show_.returncode == 0, err.decode()
    assert orjson.loads(out)["slug"] == SLUG
