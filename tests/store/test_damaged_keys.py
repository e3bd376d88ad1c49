"""A damaged update key is a verification failure, never an internal error.

Found by the slow stage's random bit flips: one landed in a key's bytes, AES-GCM refused
to open the sealed content (InvalidTag) and `verify` ended in exit 70."""

from __future__ import annotations

import sqlite3

from tests.conftest import Cli


def test_a_damaged_key_makes_reads_and_verify_fail_with_exit_5(sqlite_cli: Cli):
    sqlite_cli.ok("new", "s", "--headline", "H")
    sqlite_cli.ok("add", "s", "--id", "u1", "--text", "Sealed text.")
    conn = sqlite3.connect(sqlite_cli.db)
    secret = conn.execute("SELECT secret FROM storylog_keys").fetchone()[0]
    damaged = bytes([secret[0] ^ 1]) + secret[1:]
    conn.execute("UPDATE storylog_keys SET secret = ?", (damaged,))
    conn.commit()
    conn.close()
    for args in (["verify"], ["rebuild"]):
        result = sqlite_cli(*args)
        assert result.exit_code == 5, (args, result.stderr)
        assert "does not open with its key" in result.stderr
        assert "internal error" not in result.stderr
