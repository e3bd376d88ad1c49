"""Small helpers of the proof suites: the store's rows read behind storylog's back,
the real command line in this process, and the writer processes' acknowledgements."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from storylog.store.verify import check_chain
from tests.conftest import Cli, Result

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WRITER = HERE / "writer.py"
ALLOWED_CODES = {1, 2, 3, 4, 5, 6}


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


# -- the rows, as stored ----------------------------------------------------------


class Store:
    """Every event row of a database, read with the database's own driver."""

    def __init__(self, db: str):
        self.db = db
        self.postgres = is_postgres(db)
        self.table = "storylog_events" if self.postgres else "stored_events"

    def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.db, connect_timeout=10) as conn:
                return list(conn.execute(sql.replace("?", "%s"), params).fetchall())
        conn = sqlite3.connect(self.db, timeout=60)
        try:
            return list(conn.execute(sql, params).fetchall())
        finally:
            conn.close()

    def rows(self) -> dict[UUID, list[StoredEvent]]:
        """Each chain's rows in position order, keyed by story (or registry) id."""
        found: dict[UUID, list[StoredEvent]] = {}
        for oid, version, topic, state in self._fetch(
            f"SELECT originator_id, originator_version, topic, state FROM {self.table} "
            "ORDER BY originator_id, originator_version"
        ):
            uid = oid if isinstance(oid, UUID) else UUID(str(oid))
            found.setdefault(uid, []).append(
                StoredEvent(originator_id=uid, originator_version=int(version),
                            topic=str(topic), state=bytes(state)))
        return found

    def story_rows(self, story: UUID) -> list[StoredEvent]:
        return self.rows().get(story, [])

    def count(self) -> int:
        return int(self._fetch(f"SELECT COUNT(*) FROM {self.table}")[0][0])


def record_of(row: StoredEvent) -> dict[str, Any]:
    return dict(orjson.loads(row.state))


def chain_problems(chains: dict[UUID, list[StoredEvent]]) -> list[str]:
    """What is wrong with the chains: gaps, unreadable rows, broken hashes."""
    problems = []
    for oid, rows in chains.items():
        positions = [r.originator_version for r in rows]
        if positions != list(range(1, len(rows) + 1)):
            problems.append(f"{oid}: positions are not 1..{len(rows)}: {positions[:5]}...")
        report = check_chain(str(oid), rows)
        if not report.ok:
            problems.append(str(report.problem))
    return problems


def command_ids(chains: dict[UUID, list[StoredEvent]]) -> Counter[str]:
    return Counter(record_of(r)["command_id"] for rows in chains.values() for r in rows)


def integrity(db: str) -> str:
    conn = sqlite3.connect(db, timeout=60)
    try:
        return ";".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall())
    finally:
        conn.close()


def settled_bytes(db: str) -> bytes:
    """The SQLite file's bytes after folding the WAL in."""
    conn = sqlite3.connect(db, timeout=60)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return Path(db).read_bytes()


# -- the command line ---------------------------------------------------------------


def cli_for(db: str, editor: str = "ana") -> Cli:
    return Cli(db, editor)


@contextmanager
def sessions_closed() -> Iterator[None]:
    """Run `storylog` in this process as if each command were a process of its own: every
    store a command opened is closed when the block ends (a process's exit would close
    it). A connection left open here would change what SQLite does after a writer is
    killed: with the file held open elsewhere, a new connection trusts the WAL index as
    the killed writer left it, instead of recovering it from the WAL."""
    import storylog.cli.session as cli_support

    opened: list[Any] = []
    real = cli_support.Session.__init__

    def recording(self: Any, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        opened.append(self)

    cli_support.Session.__init__ = recording  # type: ignore[method-assign]
    try:
        yield
    finally:
        cli_support.Session.__init__ = real  # type: ignore[method-assign]
        for session in opened:
            if session._app is not None:
                with suppress(Exception):
                    session._app.close()
        opened.clear()
        gc.collect()  # read-only connections of the fast read path, left to the collector


def held_open(db: str) -> list[str]:
    """The files of this SQLite database that this process holds open (Linux)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return []
    found = []
    for fd in fds.iterdir():
        with suppress(OSError):
            target = os.readlink(fd)
            if target.startswith(db):
                found.append(target)
    return found


def no_traceback(result: Result) -> bool:
    return "Traceback" not in result.stdout + result.stderr


def storylog_process(*args: str, db: str, editor: str = "ana",
                     input: bytes | None = None, timeout: float = 120
                     ) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, STORYLOG_DB=db, STORYLOG_EDITOR=editor, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "storylog.cli", *args], input=input, env=env,
                          capture_output=True, timeout=timeout, cwd=REPO)


# -- writer processes (tests/proof/writer.py) -----------------------------------------


@dataclass
class Command:
    """One command a writer ran: its argv, and how it ended (None: no end was written)."""

    cid: str
    argv: list[str]
    code: int | None = None
    out: str = ""
    err: str = ""
    extra: dict[str, Any] | None = None

    @property
    def op(self) -> str:
        return self.argv[0]

    @property
    def acknowledged(self) -> bool:
        """Exit 0 and the output a success prints (retitle and takedown say it on stderr)."""
        return self.code == 0 and bool((self.out + self.err).strip())


def read_notes(path: Path) -> list[str]:
    """The notes a writer left (reads that failed and were tried again)."""
    if not path.exists():
        return []
    notes = []
    for raw in path.read_bytes().splitlines():
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if line["t"] == "note":
            notes.append(str(line["note"]))
    return notes


def read_acks(path: Path) -> list[Command]:
    """The commands a writer began, in order, with their ends where it wrote them."""
    commands: dict[str, Command] = {}
    if not path.exists():
        return []
    for raw in path.read_bytes().splitlines():
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # the last line, cut by the kill
        if line["t"] == "begin":
            commands[line["cid"]] = Command(line["cid"], line["argv"], extra=line.get("extra"))
        elif line["t"] == "end" and line["cid"] in commands:
            c = commands[line["cid"]]
            c.code, c.out, c.err = line["code"], line["out"], line["err"]
    return list(commands.values())


def start_writer(mode: str, *args: str, db: str, editor: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, STORYLOG_DB=db, STORYLOG_EDITOR=editor, NO_COLOR="1")
    return subprocess.Popen([sys.executable, str(WRITER), mode, db, *args], env=env,
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_line(path: Path, marker: bytes, timeout: float = 60,
                  process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and marker in path.read_bytes():
            return
        if process is not None and process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"the writer ended early ({process.returncode}): {err[-2000:]}")
        time.sleep(0.01)
    raise AssertionError(f"no {marker!r} in {path} after {timeout} s")


# -- bugs pinned by strict xfail tests --------------------------------------------------


class StillBroken(AssertionError):
    """What a strict-xfail test raises when the bug it pins is still there. Its marker
    says ``raises=StillBroken``, so a test that fails any other way (its set-up, say)
    fails the run instead of passing as the expected failure."""


def pinned(ok: bool, message: object) -> None:
    """The check of a pinned bug: raises StillBroken unless the bug is gone."""
    if not ok:
        raise StillBroken(str(message))


def assert_fixed(ok: bool, message: object) -> None:
    """The check of a bug that was pinned here and has since been fixed: an ordinary
    assertion, kept so the test still fails if the bug comes back."""
    assert ok, message
