"""`storylog log --patch`: one update's audited history with what each change did to
its text and sources, word by word (what `git log -p` shows for a file)."""

from __future__ import annotations

import orjson

from tests.conftest import Cli


def story(cli: Cli) -> None:
    cli.ok("new", "s", "--headline", "Pokrovsk", "--tz", "Europe/Kyiv")
    cli.ok("add", "s", "--id", "u1", "--stamp", "2025-11-04 12:21", "--text",
           "Russian forces control 85% of the town.", "--source", "Bild")
    cli.ok("add", "s", "--id", "u2", "--stamp", "2025-11-04 13:00", "--text", "Other news.")
    cli.ok("publish", "s")
    cli.ok("edit", "s", "u1", "--kind", "correction", "--reason", "misread the map",
           "--note", "An earlier version said 85%.", "--text",
           "Russian forces control 80% of the town.", "--source", "Bild",
           "--source", "Le Monde", editor="bob")
    cli.ok("edit", "s", "u1", "--kind", "update", "--reason", "status", "--status", "verified")
    cli.ok("retract", "s", "u1", "--reason", "wrong town", "--note", "Withdrawn.")


def test_each_change_carries_what_it_did(cli: Cli) -> None:
    story(cli)
    entries = orjson.loads(cli.ok("log", "s", "--update", "u1", "--patch", "--json"))
    assert [e["event"] for e in entries] == ["UpdateAdded", "UpdateEdited", "UpdateEdited",
                                            "UpdateRetracted"]
    added, corrected, verified, retracted = entries
    assert added["diff"]["body"] == [{"op": "insert",
                                      "text": "Russian forces control 85% of the town."}]
    assert [s["name"] for s in added["diff"]["sources"]["added"]] == ["Bild"]
    assert corrected["diff"]["body"] == [
        {"op": "equal", "text": "Russian forces control "}, {"op": "delete", "text": "85"},
        {"op": "insert", "text": "80"}, {"op": "equal", "text": "% of the town."}]
    assert [s["name"] for s in corrected["diff"]["sources"]["added"]] == ["Le Monde"]
    assert verified["diff"] == {"status": {"from": "unverified", "to": "verified"}}
    assert "diff" not in retracted  # a retraction changes no content; its note says why
    assert corrected["editor"] == "bob" and corrected["reason"] == "misread the map"


def test_the_text_form_reads_like_git_log_p(cli: Cli) -> None:
    story(cli)
    out = cli.ok("log", "s", "--update", "u1", "-p")
    assert "Russian forces control [-85-]{+80+}% of the town." in out
    assert "source added: Le Monde" in out
    assert "status: unverified -> verified" in out
    # without --patch, the trail alone
    assert "[-85-]" not in cli.ok("log", "s", "--update", "u1")


def test_a_taken_down_update_shows_no_content_in_its_patches(cli: Cli) -> None:
    story(cli)
    cli.ok("takedown", "s", "u2", "--grounds", "legal", "--reason", "injunction")
    out = cli.ok("log", "s", "--patch")
    assert "Other news" not in out
    assert "[content withheld: taken down on legal grounds]" in out
    entries = orjson.loads(cli.ok("log", "s", "--update", "u2", "--patch", "--json"))
    assert "Other news" not in orjson.dumps(entries).decode()
