"""Shared fixtures: real SQLite files, a real PostgreSQL server, the real CLI.

PostgreSQL tests use the server that `scripts/test` starts (STORYLOG_TEST_PG);
each test gets a database of its own. Without that variable they fail with a
message saying how to run them, rather than silently skipping.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "src" / "storylog" / "data" / "pokrovsk-live.txt"


def postgres_url() -> str:
    url = os.environ.get("STORYLOG_TEST_PG")
    if not url:
        pytest.fail("PostgreSQL tests need STORYLOG_TEST_PG; run them with scripts/test")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server."""
    import psycopg

    base = postgres_url()
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    parts = urlsplit(base)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return str(tmp_path / "story.db")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using ``db`` runs once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "story.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def app(db: str) -> Iterator[object]:
    from storylog.app.service import StoryApp

    application = StoryApp(db)
    yield application
    application.close()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `storylog` in this process, as a user would: argv in, exit code and streams out."""

    def __init__(self, db: str, editor: str = "ana"):
        self.db = db
        self.editor = editor

    def __call__(self, *args: str, input: str | bytes | None = None, editor: str | None = None,
                 env: dict[str, str] | None = None) -> Result:
        from storylog.cli import cli
        from storylog.cli.session import run

        runner = CliRunner()
        environ = {"STORYLOG_DB": self.db, "STORYLOG_EDITOR": editor if editor is not None
                   else self.editor, "NO_COLOR": "1"}
        environ.update(env or {})
        with runner.isolation(input=input, env=environ) as streams:
            try:
                run(cli, list(args))
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
            out, err = streams[0].getvalue(), streams[1].getvalue()
        return Result(code, out.decode(), err.decode())

    def ok(self, *args: str, **kw: object) -> str:
        result = self(*args, **kw)  # type: ignore[arg-type]
        assert result.exit_code == 0, result.stderr
        return result.stdout


@pytest.fixture
def cli(db: str) -> Cli:
    return Cli(db)


@pytest.fixture
def sqlite_cli(sqlite_db: str) -> Cli:
    return Cli(sqlite_db)


def storylog_process(*args: str, db: str, editor: str = "ana", input: bytes | None = None,
                     check: bool = False) -> subprocess.CompletedProcess[bytes]:
    """The real `storylog` command in a process of its own."""
    env = dict(os.environ, STORYLOG_DB=db, STORYLOG_EDITOR=editor, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "storylog.cli", *args], input=input, env=env,
        capture_output=True, check=check,
    )


# -- the slow stage: the site's suites in it too, and one summary line per suite -------

# The site's XSS and canary suites run in both stages: in the ordinary one as always, and
# (the slow stage being `pytest -m slow`) in the slow stage too, where they are counted.
BOTH_STAGES = ("tests/site/test_xss.py", "tests/site/test_canaries.py")
SUITES = {
    "tests/proof/test_crash_sqlite.py": "crash-sqlite",
    "tests/proof/test_crash_postgres.py": "crash-postgres",
    "tests/proof/test_concurrency.py": "concurrency",
    "tests/proof/test_tamper_exhaustive.py": "tamper",
    "tests/proof/test_model.py": "model",
    "tests/proof/test_bad_input_fuzz.py": "bad-input",
    "tests/site/test_xss.py": "site-xss",
    "tests/site/test_canaries.py": "site-canaries",
    "tests/projections/test_rebuild.py": "rebuild",
    "tests/transparency/test_site.py": "public-log",
}


@dataclass
class Tally:
    """What one suite tried. The proof suites count their own cases (``tally`` fixture in
    tests/proof/conftest.py); any other suite counts its tests. Failures of a test that
    counted none of its own are counted here, so a failed test never shows 0 failures."""

    suite: str
    cases: int = 0
    failures: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    known: int = 0  # failures in strict-xfail tests: bugs found and pinned
    counts_itself: bool = False

    def case(self, ok: bool = True, note: str | None = None, *, known: bool = False) -> None:
        self.counts_itself = True
        self.cases += 1
        if not ok:
            if known:
                self.known += 1
            else:
                self.failures += 1
            if note and len(self.notes) < 20:
                self.notes.append(("known bug: " if known else "") + note)


TALLIES: dict[str, Tally] = {}
FAILURES_BEFORE: dict[str, int] = {}  # node id -> its suite's failures when it started


def suite_of(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return SUITES.get(path, Path(path).stem.removeprefix("test_"))


def tally_of(suite: str) -> Tally:
    return TALLIES.setdefault(suite, Tally(suite))


def _slow_stage(config: pytest.Config) -> bool:
    """Is this run the slow stage: does -m select slow tests but not the others?"""
    expression = config.getoption("markexpr")
    if not expression:
        return False
    from _pytest.mark.expression import Expression

    compiled = Expression.compile(expression)
    return compiled.evaluate(lambda name, **_: name == "slow") and not compiled.evaluate(
        lambda name, **_: False)


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _slow_stage(config):
        for item in items:
            if item.nodeid.split("::", 1)[0] in BOTH_STAGES:
                item.add_marker(pytest.mark.slow)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "slow" not in report.keywords:
        return
    t = tally_of(suite_of(report.nodeid))
    t.seconds += report.duration
    if report.when == "setup":
        FAILURES_BEFORE[report.nodeid] = t.failures
    counted = report.when == "call" or (report.when == "setup" and not report.passed)
    if counted and not t.counts_itself:
        t.cases += 1
    if report.failed and t.failures == FAILURES_BEFORE.get(report.nodeid, t.failures):
        t.failures += 1
        if len(t.notes) < 20:
            t.notes.append(f"failed: {report.nodeid.split('::', 1)[-1]} ({report.when})")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLIES:
        return
    terminalreporter.section("slow-stage suites")
    for t in TALLIES.values():
        known = f"{t.known} known bugs (strict xfail), " if t.known else ""
        terminalreporter.write_line(f"suite {t.suite}: {t.cases} cases tried, {t.failures} "
                                    f"failures, {known}{t.seconds:.1f} s")
        for note in t.notes:
            terminalreporter.write_line(f"    {note}")
