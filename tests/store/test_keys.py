"""Helpers for the key-store tests: a second place for keys on the same backend as the
events, and the raw key bytes a store holds (to search backups and files for them)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson

from tests.conftest import Cli, postgres_url


@contextmanager
def another_place(db: str, tmp_path: Path, name: str = "keys") -> Iterator[str]:
    """A new, empty key store location on the same backend as ``db``."""
    if not db.startswith("postgres"):
        yield str(tmp_path / f"{name}.db")
        return
    import psycopg

    base = postgres_url()
    dbname = f"k_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {dbname} TEMPLATE template0")
    yield urlunsplit(urlsplit(base)._replace(path=f"/{dbname}"))
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


def rows(location: str, statement: str) -> list[tuple[object, ...]]:
    if location.startswith("postgres"):
        import psycopg

        with psycopg.connect(location) as conn:
            return list(conn.execute(statement).fetchall())
    conn = sqlite3.connect(location)
    try:
        return conn.execute(statement).fetchall()
    finally:
        conn.close()


def has_table(location: str, table: str) -> bool:
    if location.startswith("postgres"):
        return rows(location, f"SELECT to_regclass('{table}')")[0][0] is not None
    return bool(rows(location, f"SELECT 1 FROM sqlite_master WHERE name = '{table}'"))


def secrets(location: str) -> dict[str, bytes]:
    """Every live key's bytes, by key id."""
    return {str(k): bytes(s) for k, s in  # type: ignore[arg-type]
            rows(location, "SELECT key_id, secret FROM storylog_keys WHERE secret IS NOT NULL")}


SLUG = "pokrovsk-live"
TEXTS = {
    "u1": "An officer told Le Monde that the town is nearly encircled.",
    "u2": "Bild's analyst puts Russian control at about 85%.",
    "u3": "The General Staff denies an encirclement.",
}


def a_story(cli: Cli) -> None:
    """A story with three updates, an edit, a legal takedown and a publication."""
    cli.ok("new", SLUG, "--headline", "Battle for Pokrovsk", "--tz", "Europe/Kyiv")
    for update, text in TEXTS.items():
        cli.ok("add", SLUG, "--id", update, "--text", text, "--source", "Le Monde",
               "--stamp", "2025-11-04 10:30")
    cli.ok("edit", SLUG, "u2", "--kind", "correction", "--reason", "misread",
           "--note", "It said 80%; the analyst said 85%.",
           "--text", TEXTS["u2"].replace("about", "nearly"))
    cli.ok("publish", SLUG)
    cli.ok("takedown", SLUG, "u3", "--grounds", "legal", "--reason", "court letter")
    cli.ok("publish", SLUG)


def apart(cli: Cli, keys: str) -> Cli:
    """The same store, run with its keys at ``keys`` (STORYLOG_KEYS)."""
    class WithKeys(Cli):
        def __call__(self, *args: str, **kw: object) -> object:  # type: ignore[override]
            env = dict(kw.pop("env", None) or {})  # type: ignore[call-overload]
            env.setdefault("STORYLOG_KEYS", keys)
            return super().__call__(*args, env=env, **kw)  # type: ignore[arg-type]

    return WithKeys(cli.db, cli.editor)


def one_error(result: object, code: int, *words: str) -> str:
    assert result.exit_code == code, (result.exit_code, result.stderr)  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    for word in words:
        assert word in lines[0], lines[0]
    return str(lines[0])


def file_bytes(location: str) -> bytes:
    """A SQLite store's bytes on disk, its WAL included."""
    data = b""
    for suffix in ("", "-wal", "-journal"):
        path = Path(location + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


# -- keys apart from the events -------------------------------------------------------


def test_a_store_with_its_keys_in_a_separate_store_works_end_to_end(
    cli: Cli, db: str, tmp_path: Path,
) -> None:
    with another_place(db, tmp_path) as keys:
        run = apart(cli, keys)
        a_story(run)
        shown = orjson.loads(run.ok("show", SLUG, "--json"))
        assert [u["body"] for u in shown["updates"] if u.get("body")][:2] == [
            TEXTS["u2"].replace("about", "nearly"), TEXTS["u1"]]
        assert run("verify").exit_code == 0
        held = secrets(keys)
        assert len(held) == 3
        # The events database holds no key at all.
        assert not has_table(db, "storylog_keys")
        if not db.startswith("postgres"):
            data = file_bytes(db)
            assert not [k for k, s in held.items() if s in data]
        where = orjson.loads(run.ok("keys", "where", "--json"))
        assert where["apart"] is True and where["keys"] == 3
        # Without its keys, or with another store's, the store is refused, not shown erased.
        one_error(cli("show", SLUG), 6, "--keys")
        with another_place(db, tmp_path, "other") as other:
            one_error(apart(cli, other)("show", SLUG), 6, "--keys")


def test_an_old_store_with_keys_inside_keeps_working_and_its_keys_can_be_moved_out(
    cli: Cli, db: str, tmp_path: Path,
) -> None:
    a_story(cli)  # today's code path: no --keys, the keys inside the events database
    before = cli.ok("show", SLUG, "--json")
    heads = cli.ok("verify")
    inside = secrets(db)
    assert len(inside) == 3
    with another_place(db, tmp_path) as keys:
        one_error(apart(cli, keys)("show", SLUG), 6, "keys move")
        moved = orjson.loads(cli.ok("keys", "move", keys, "--json"))
        assert moved["keys"] == 3 and moved["envelopes_checked"] >= 4
        run = apart(cli, keys)
        assert run.ok("show", SLUG, "--json") == before
        assert run.ok("verify") == heads
        assert secrets(keys) == inside
        assert not has_table(db, "storylog_keys")
        if not db.startswith("postgres"):
            data = file_bytes(db)
            assert not [k for k, s in inside.items() if s in data]
        one_error(cli("show", SLUG), 6, "live apart")
        # Run again (e.g. after a crash): nothing changes, nothing is lost.
        again = orjson.loads(run.ok("keys", "move", "--json"))
        assert again.get("already") is True
        assert run.ok("show", SLUG, "--json") == before
        run.ok("add", SLUG, "--id", "u4", "--text", "A later update.")
        assert len(secrets(keys)) == 4


def test_moving_keys_into_another_stores_key_store_is_refused(
    cli: Cli, db: str, tmp_path: Path,
) -> None:
    a_story(cli)
    with another_place(db, tmp_path, "theirs") as theirs:
        other = apart(Cli(str(tmp_path / "other.db")), theirs)
        if db.startswith("postgres"):
            other = apart(Cli(db.rsplit("/", 1)[0] + "/" + theirs.rsplit("/", 1)[1]), theirs)
        other.ok("new", "elsewhere", "--headline", "Elsewhere")
        other.ok("add", "elsewhere", "--text", "Their text.")
        one_error(cli("keys", "move", theirs), 1, "another store")
        assert len(secrets(db)) == 3  # still inside, untouched
        cli.ok("show", SLUG)
