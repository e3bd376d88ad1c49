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
from dataclasses import dataclass
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
        from storylog.cli_support import run

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
