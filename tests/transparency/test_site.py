"""The public log end to end (issue 15): exported with the real CLI, checked with
`storylog verify-site` and with the single-file verifier the site ships, run on an
interpreter that cannot import storylog."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storylog.transparency.standalone_verify import Report, Site, check_site
from tests.conftest import Cli
from tests.transparency.site_helpers import (
    ORIGIN,
    SECRET_REASON,
    SECRET_SOURCE,
    TAKEN_DOWN,
    UNPUBLISHED,
    WK,
    copy,
    export,
    make_store,
    public_files,
    run_shipped,
    shipped_command,
    vkey,
)


class MemorySite(Site):
    """A site held in memory: one file changed without copying the folder."""

    def __init__(self, files: dict[str, bytes]):
        self.where = "memory"
        self.http = False
        self.files = files

    def get(self, path: str) -> bytes | None:
        return self.files.get(path)

    def listing(self) -> list[str]:
        return sorted(self.files)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Cli, Path, Path]:
    tmp = tmp_path_factory.mktemp("log")
    cli, key = make_store(tmp)
    site = tmp / "site"
    export(cli, key, site)
    return cli, key, site


@pytest.fixture
def store(tmp_path) -> tuple[Cli, Path]:
    return make_store(tmp_path)


def problems(report: Report) -> set[str]:
    return {file for file, _ in report.problems}


def read_all(site: Path) -> dict[str, bytes]:
    return {p: (site / p).read_bytes() for p in public_files(site)}


# -- a site as exported -------------------------------------------------------------------


def test_an_exported_site_verifies_by_the_cli_and_by_its_own_verifier(built, tmp_path):
    cli, key, site = built
    names = public_files(site)
    for kind in ("checkpoint", "key.vkey", "manifest", "standalone_verify.py",
                 "records/town/v1.json", "records/town/v2.json", "records/river/v1.json",
                 "proofs/town/v2.tlog-proof", "checkpoints/3"):
        assert f"{WK}/{kind}" in names
    done = cli("verify-site", str(site), "--pubkey", str(key) + ".pub", "--json")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verified"] and report["records"] == 3 and report["size"] == 3
    assert report["pages"] == 5  # town/index, town/v/1, town/v/2, river/index, river/v/1
    assert report["origin"] == ORIGIN
    shipped = run_shipped(shipped_command(site, tmp_path), "site", site, "--key", vkey(site),
                          "--json")
    assert shipped.returncode == 0, shipped.stderr
    assert json.loads(shipped.stdout) == {**report, "site": str(site)}


def test_every_version_page_names_its_record_and_says_how_to_check(built):
    _, _, site = built
    page = (site / "town" / "v" / "2.html").read_text()
    record = json.loads((site / WK / "records" / "town" / "v2.json").read_text())
    assert f'data-storylog-record="{record["hash"]}"' in page
    assert 'href="../../.well-known/storylog/records/town/v2.json"' in page
    assert "How to check this page yourself" in page and "standalone_verify.py" in page
    assert "how-to-check.html" in page
    readers = (site / "how-to-check.html").read_text()
    assert "What a check proves" in readers and "What it does not prove" in readers
    assert vkey(site) in readers


def test_a_re_export_writes_the_same_bytes(built, tmp_path):
    cli, key, site = built
    again = tmp_path / "again"
    export(cli, key, again)
    assert read_all(again) == read_all(site)


def test_nothing_internal_reaches_any_public_file(built):
    _, _, site = built
    for path, data in read_all(site).items():
        text = data.decode("utf-8", "replace")
        for secret in (SECRET_SOURCE, SECRET_REASON, UNPUBLISHED, "Hidden-Name", "ana"):
            if secret == "ana" and not path.startswith(WK + "/records"):
                continue  # the editor's name: checked in the records, where JSON is exact
            assert secret not in text, f"{secret!r} in {path}"
    record = json.loads((site / WK / "records" / "town" / "v2.json").read_text())
    assert '"ana"' not in json.dumps(record)


def test_a_taken_down_update_leaves_no_text_in_any_public_file(store, tmp_path):
    cli, key = store
    cli.ok("takedown", "town", "u3", "--grounds", "legal", "--reason", SECRET_REASON)
    site = tmp_path / "site"
    export(cli, key, site)
    for path, data in read_all(site).items():
        assert TAKEN_DOWN.encode() not in data, path
        assert SECRET_REASON.encode() not in data, path
    assert cli("verify-site", str(site), "--pubkey", vkey(site)).exit_code == 0


# -- every byte, every file ----------------------------------------------------------------


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01 if data[at] != 0x0A else 0x20]) + data[at + 1:]


def _sweep(files: dict[str, bytes], key: str, positions) -> list[str]:
    missed = []
    for path, data in files.items():
        for at in positions(len(data)):
            report = check_site(MemorySite({**files, path: _flip(data, at)}), key)
            if path not in problems(report):
                missed.append(f"{path}@{at}")
    return missed


def test_a_changed_byte_in_any_public_file_fails_naming_the_file(built, tmp_path):
    """Sampled: the first, a middle and the last byte of every file (the slow stage
    changes every byte)."""
    _, _, site = built
    files = read_all(site)
    assert check_site(MemorySite(files), vkey(site)).ok
    assert _sweep(files, vkey(site), lambda n: sorted({0, n // 2, n - 1})) == []
    # the CLI and the shipped verifier name the same file
    command = shipped_command(site, tmp_path)
    for path in ("town/v/1.html", f"{WK}/checkpoint", f"{WK}/records/town/v1.json"):
        changed = copy(site, tmp_path / path.replace("/", "_"))
        target = changed / path
        target.write_bytes(_flip(target.read_bytes(), len(target.read_bytes()) // 2))
        done = built[0]("verify-site", str(changed), "--pubkey", vkey(site))
        assert done.exit_code == 5 and f"  {path}: " in done.stdout
        assert re.search(rf"^Error: .* does not verify: {re.escape(path)}: |"
                         rf"^Error: .* does not verify: ", done.stderr, re.M)
        shipped = run_shipped(command, "site", changed, "--key", vkey(site))
        assert shipped.returncode == 5 and f"  {path}: " in shipped.stderr


@pytest.mark.slow
def test_every_byte_of_every_public_file_changed_fails_naming_the_file(tmp_path):
    """A one-story site. Every byte of the log's files (checkpoints, key, manifest,
    record, proof) and of the pages checked against the record (index.html, v/1.html);
    every other byte of the other pages, the feed and the readers' page; every 16th
    byte of the stylesheet and the shipped verifier (the same bytes in every site). A
    change anywhere in a file is caught by the same signed hash, so the stride only
    bounds the time (about two minutes)."""
    cli = Cli(str(tmp_path / "story.db"))
    cli.ok("new", "s", "--headline", "H")
    cli.ok("add", "s", "--id", "a", "--stamp", "2024-01-01 10:00", "--text", "Text.")
    cli.ok("publish", "s")
    cli.ok("keygen", str(tmp_path / "k"))
    site = tmp_path / "site"
    cli.ok("export", "s", str(site), "--key", str(tmp_path / "k"), "--origin", ORIGIN)
    files = read_all(site)
    key = vkey(site)
    assert check_site(MemorySite(files), key).ok

    def stride(path: str) -> int:
        if (path.startswith(WK) and not path.endswith(".py")) or path in ("index.html",
                                                                          "v/1.html"):
            return 1
        return 16 if path in (f"{WK}/standalone_verify.py", "style.css") else 2

    missed = []
    for path, data in files.items():
        for at in range(0, len(data), stride(path)):
            if path not in problems(check_site(MemorySite({**files, path: _flip(data, at)}),
                                               key)):
                missed.append(f"{path}@{at}")
    assert missed == []


# -- files removed, records reordered ---------------------------------------------------------


@pytest.mark.parametrize("remove", ["town/v/1.html", "town/index.html", "river/history.html",
                                    f"{WK}/records/town/v1.json",
                                    f"{WK}/proofs/town/v2.tlog-proof", f"{WK}/checkpoint",
                                    f"{WK}/manifest", f"{WK}/key.vkey",
                                    f"{WK}/checkpoints/3"])
def test_a_removed_file_is_caught(built, remove):
    _, _, site = built
    files = read_all(site)
    del files[remove]
    report = check_site(MemorySite(files), vkey(site))
    assert not report.ok
    assert remove in problems(report) or (remove == f"{WK}/key.vkey"
                                          and f"{WK}/key.vkey" in problems(report))


def test_records_reordered_or_one_dropped_with_every_trace_are_caught(built):
    _, _, site = built
    files = read_all(site)
    v1, v2 = f"{WK}/records/town/v1.json", f"{WK}/records/town/v2.json"
    swapped = {**files, v1: files[v2], v2: files[v1]}
    report = check_site(MemorySite(swapped), vkey(site))
    assert {v1, v2} <= problems(report)
    assert any("it holds the record of town v2, not of town v1" in p
               for _, p in report.problems)
    # a record and everything naming it gone: the story's chain still shows the gap
    gone = {p: d for p, d in files.items() if "town/v1" not in p and p != "town/v/1.html"}
    report = check_site(MemorySite(gone), vkey(site))
    assert v2 in problems(report) or v1 in problems(report)


# -- takedowns, rewrites, witnesses -----------------------------------------------------------


def _saved(site: Path, to: Path) -> Path:
    shutil.copyfile(site / WK / "checkpoint", to)
    return to


def test_after_each_kind_of_takedown_every_older_checkpoint_still_verifies(store, tmp_path):
    cli, key = store
    site = tmp_path / "site"
    export(cli, key, site)
    saved = [_saved(site, tmp_path / "c0")]
    cli.ok("takedown", "town", "u3", "--grounds", "legal", "--reason", "letter")
    export(cli, key, site)
    saved.append(_saved(site, tmp_path / "c1"))
    cli.ok("takedown", "town", "u2", "--grounds", "source-safety", "--reason", "risk", "--yes")
    cli.ok("publish", "town")
    export(cli, key, site)
    saved.append(_saved(site, tmp_path / "c2"))
    cli.ok("takedown", "river", "r1", "--grounds", "privacy", "--reason", "asked")
    cli.ok("add", "river", "--id", "r2", "--stamp", "2024-11-05 10:00", "--text", "Falling.")
    cli.ok("publish", "river")
    export(cli, key, site)
    command = shipped_command(site, tmp_path)
    for old in saved:
        done = cli("verify-site", str(site), "--pubkey", vkey(site), "--since", str(old))
        assert done.exit_code == 0, done.stdout
        shipped = run_shipped(command, "site", site, "--key", vkey(site), "--since", old)
        assert shipped.returncode == 0, shipped.stderr
    v2 = json.loads((site / WK / "records" / "town" / "v2.json").read_text())
    withdrawn = {o["id"]: o["withdrawn"] for o in v2["openings"] if o["withdrawn"]}
    assert withdrawn["u3"]["grounds"] == "legal" and withdrawn["u3"]["reason"] == "taken-down"
    assert withdrawn["u2"]["reason"] == "erased"
    said = run_shipped(command, "record", site / WK / "records" / "town" / "v2.json")
    assert re.search(r"u3: removed on legal grounds, \d{4}-\d\d-\d\d", said.stdout)
    assert re.search(r"u2: removed on source-safety grounds, \d{4}-\d\d-\d\d", said.stdout)
    # the sizes of every checkpoint published are on the site, each provably a prefix
    assert sorted(p.name for p in (site / WK / "checkpoints").iterdir()) == ["3", "4", "5"]
    assert sorted(p.name for p in (site / WK / "consistency").iterdir()) == ["3", "4"]


def _witness(cli: Cli, tmp: Path, site: Path, *, state: str = "w.json") -> Cli:
    return cli("witness", "cosign", str(site), "--key", str(tmp / "w.key"), "--state",
               str(tmp / state), "--log-key", vkey(site), "--out", str(tmp / "cosigned"))


def test_a_rewritten_past_re_signed_is_caught_by_a_saved_checkpoint_and_a_witness(store,
                                                                                 tmp_path):
    cli, key = store
    witness_key = cli.ok("witness", "keygen", "witness.example/w1", str(tmp_path / "w.key"))
    site = tmp_path / "site"
    export(cli, key, site)
    saved = _saved(site, tmp_path / "saved")
    assert _witness(cli, tmp_path, site).exit_code == 0
    # The newsroom takes u3 down and quietly rewrites its log as if u3 had never been
    # shown: it drops the log and signs a fresh one with its own key.
    cli.ok("takedown", "town", "u3", "--grounds", "legal", "--reason", "letter")
    lite = sqlite3.connect(cli.db)
    lite.execute("DROP TABLE storylog_public_log")
    lite.execute("DROP TABLE storylog_tree_heads")
    lite.commit()
    lite.close()
    export(cli, key, site)
    alone = cli("verify-site", str(site), "--pubkey", vkey(site))
    assert alone.exit_code == 0  # what no check can see without a past to compare
    since = cli("verify-site", str(site), "--pubkey", vkey(site), "--since", str(saved))
    assert since.exit_code == 5
    assert "--since: your checkpoint and the site's both have 3 records with different " \
           "roots: the log was rewritten" in since.stdout
    shipped = run_shipped(shipped_command(site, tmp_path), "site", site, "--key", vkey(site),
                          "--since", saved)
    assert shipped.returncode == 5 and "the log was rewritten" in shipped.stderr
    refused = _witness(cli, tmp_path, site)
    assert refused.exit_code == 4 and "split view" in refused.stderr
    # and a witness-requiring reader is not satisfied by the rewritten site
    done = cli("verify-site", str(site), "--pubkey", vkey(site), "--witness", witness_key)
    assert done.exit_code == 5 and f"{WK}/checkpoint: no signature by witness" in done.stdout


def test_a_rewrite_that_grows_the_log_is_caught_too(store, tmp_path):
    cli, key = store
    cli.ok("witness", "keygen", "witness.example/w1", str(tmp_path / "w.key"))
    site = tmp_path / "site"
    export(cli, key, site)
    saved = _saved(site, tmp_path / "saved")
    assert _witness(cli, tmp_path, site).exit_code == 0
    cli.ok("takedown", "town", "u3", "--grounds", "legal", "--reason", "letter")
    lite = sqlite3.connect(cli.db)
    lite.execute("DELETE FROM storylog_public_log WHERE seq > 1")
    lite.execute("DROP TABLE storylog_tree_heads")
    lite.commit()
    lite.close()
    cli.ok("publish", "town")
    export(cli, key, site)
    # the newsroom also forges the consistency proof file it has none of: no file at all
    since = cli("verify-site", str(site), "--pubkey", vkey(site), "--since", str(saved))
    assert since.exit_code == 5 and "--since: " in since.stdout
    refused = _witness(cli, tmp_path, site)
    assert refused.exit_code == 5


def test_a_split_view_is_refused_by_the_witness(tmp_path):
    one, key = make_store(tmp_path / "a")
    (tmp_path / "b").mkdir()
    shutil.copyfile(one.db, tmp_path / "b" / "story.db")
    other = Cli(str(tmp_path / "b" / "story.db"))
    other.ok("takedown", "town", "u3", "--grounds", "legal", "--reason", "letter")
    a, b = tmp_path / "site-a", tmp_path / "site-b"
    export(one, key, a)
    export(other, key, b)
    assert vkey(a) == vkey(b)
    assert (a / WK / "checkpoint").read_text().split("\n")[:2] == \
        (b / WK / "checkpoint").read_text().split("\n")[:2]  # same log, same size
    assert one("verify-site", str(a), "--pubkey", vkey(a)).exit_code == 0
    assert other("verify-site", str(b), "--pubkey", vkey(b)).exit_code == 0
    one.ok("witness", "keygen", "witness.example/w1", str(tmp_path / "w.key"))
    assert _witness(one, tmp_path, a).exit_code == 0
    refused = _witness(one, tmp_path, b)
    assert refused.exit_code == 4
    assert "showed this witness two different trees of 3 leaves (a split view)" in \
        refused.stderr
    state = json.loads((tmp_path / "w.json").read_text())
    assert state["logs"][ORIGIN]["checkpoint"] == (a / WK / "checkpoint").read_text()


def test_a_witness_cosigns_the_newsroom_publishes_it_and_readers_require_it(store, tmp_path):
    cli, key = store
    witness_key = cli.ok("witness", "keygen", "witness.example/w1",
                         str(tmp_path / "w.key")).strip()
    site = tmp_path / "site"
    export(cli, key, site)
    required = cli("verify-site", str(site), "--pubkey", vkey(site), "--witness", witness_key)
    assert required.exit_code == 5
    assert _witness(cli, tmp_path, site).exit_code == 0
    export(cli, key, site, "--cosigned", str(tmp_path / "cosigned"))
    assert "— witness.example/w1 " in (site / WK / "checkpoint").read_text()
    done = cli("verify-site", str(site), "--pubkey", vkey(site), "--witness", witness_key)
    assert done.exit_code == 0, done.stdout
    shipped = run_shipped(shipped_command(site, tmp_path), "site", site, "--key", vkey(site),
                          "--witness", witness_key)
    assert shipped.returncode == 0, shipped.stderr
    # the witness moves on with the log
    cli.ok("add", "river", "--id", "r2", "--stamp", "2024-11-05 10:00", "--text", "Falling.")
    cli.ok("publish", "river")
    export(cli, key, site)
    assert _witness(cli, tmp_path, site).exit_code == 0
    state = json.loads((tmp_path / "w.json").read_text())
    assert state["logs"][ORIGIN]["size"] == 4
    # a cosignature that arrives after the log grew goes on the head it cosigned
    cli.ok("publish", "town")
    export(cli, key, site, "--cosigned", str(tmp_path / "cosigned"))
    assert "— witness.example/w1 " in (site / WK / "checkpoints" / "4").read_text()
    assert "— witness.example/w1 " not in (site / WK / "checkpoint").read_text()
    assert cli("verify-site", str(site), "--pubkey", vkey(site)).exit_code == 0
    forged = cli("export", "--all", str(site), "--key", str(key), "--cosigned",
                 str(tmp_path / "w.json"))
    assert forged.exit_code == 1 and "--cosigned is not a signed checkpoint" in forged.stderr


# -- over HTTP -------------------------------------------------------------------------------


def test_a_site_served_by_storylog_serve_verifies_over_http_as_from_disk(store, tmp_path):
    cli, key = store
    site = tmp_path / "site"
    cli.ok("export", "town", str(site), "--key", str(key), "--origin", ORIGIN)
    disk = cli("verify-site", str(site), "--pubkey", vkey(site), "--json")
    assert disk.exit_code == 0, disk.stdout
    server = subprocess.Popen(
        [sys.executable, "-m", "storylog.cli", "--db", cli.db, "serve", "town", "--port", "0",
         "--key", str(key), "--origin", ORIGIN],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        url = re.search(r"at (http://\S+/)", line)
        assert url, line
        http = cli("verify-site", url.group(1), "--pubkey", vkey(site), "--json")
        assert http.exit_code == 0, http.stdout
        from_disk, over_http = json.loads(disk.stdout), json.loads(http.stdout)
        assert {**over_http, "site": None} == {**from_disk, "site": None}
        shipped = run_shipped(shipped_command(site, tmp_path), "site", url.group(1),
                              "--key", vkey(site), "--json")
        assert shipped.returncode == 0, shipped.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


# -- bad input ---------------------------------------------------------------------------------


def test_bad_input_is_one_error_line(built, tmp_path):
    cli, key, site = built
    missing = cli("verify-site", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ")
    assert "Traceback" not in missing.stderr
    bad_key = cli("verify-site", str(site), "--pubkey", "not-a-key")
    assert bad_key.exit_code == 5 and "--key: a verifier key reads" in bad_key.stdout
    other = tmp_path / "other.key"
    cli.ok("keygen", str(other))
    wrong = cli("verify-site", str(site), "--pubkey", str(other) + ".pub")
    assert wrong.exit_code == 5 and f"{WK}/key.vkey: is not the key you gave" in wrong.stdout
    again = cli("export", "--all", str(tmp_path / "s2"), "--key", str(key), "--origin",
                "another.example/log")
    assert again.exit_code == 1 and "cannot become" in again.stderr
    nokey = cli("export", "--all", str(tmp_path / "s3"), "--origin", ORIGIN)
    assert nokey.exit_code == 2


def test_a_source_made_confidential_later_leaves_every_public_file(store, tmp_path):
    """A name marked confidential in another story after it was published openly: the
    pages stop showing it, so the record's opening is withdrawn, never shown."""
    cli, key = store
    site = tmp_path / "site"
    export(cli, key, site)
    assert b"Local radio" in (site / WK / "records" / "town" / "v1.json").read_bytes()
    saved = _saved(site, tmp_path / "saved")
    cli.ok("add", "river", "--id", "r2", "--stamp", "2024-11-05 10:00", "--text", "Rising.",
           "--source", "Local radio,confidential")
    cli.ok("publish", "river")
    export(cli, key, site)
    for path, data in read_all(site).items():
        assert b"Local radio" not in data, path
    done = cli("verify-site", str(site), "--pubkey", vkey(site), "--since", str(saved))
    assert done.exit_code == 0, done.stdout
    assert "note: update u2 of town v1 is shown changed and cannot be checked: its " \
           "opening was withdrawn on source-safety grounds" in done.stdout
    v1 = json.loads((site / WK / "records" / "town" / "v1.json").read_text())
    withdrawn = {o["id"]: o["withdrawn"] for o in v1["openings"] if o["withdrawn"]}
    assert withdrawn["u2"]["grounds"] == "source-safety"


def test_the_public_log_on_both_backends(cli, tmp_path):
    """The log's tables and the append order query on SQLite and PostgreSQL alike."""
    cli.ok("new", "town", "--headline", "T")
    cli.ok("add", "town", "--id", "u1", "--stamp", "2024-11-04 10:00", "--text", "A.")
    cli.ok("publish", "town")
    cli.ok("new", "river", "--headline", "R")
    cli.ok("add", "river", "--id", "r1", "--stamp", "2024-11-04 11:00", "--text", "B.")
    cli.ok("publish", "river")
    cli.ok("add", "town", "--id", "u2", "--stamp", "2024-11-04 12:00", "--text", "C.")
    cli.ok("publish", "town")
    cli.ok("keygen", str(tmp_path / "k"))
    site = tmp_path / "site"
    export(cli, tmp_path / "k", site)
    proofs = {p: (site / WK / "proofs" / p).read_text().split("\n")[1]
              for p in ("town/v1.tlog-proof", "river/v1.tlog-proof", "town/v2.tlog-proof")}
    assert proofs == {"town/v1.tlog-proof": "index 0", "river/v1.tlog-proof": "index 1",
                      "town/v2.tlog-proof": "index 2"}  # the order they were published
    saved = _saved(site, tmp_path / "saved")
    cli.ok("takedown", "town", "u1", "--grounds", "legal", "--reason", "r")
    cli.ok("publish", "town")
    export(cli, tmp_path / "k", site)
    done = cli("verify-site", str(site), "--pubkey", vkey(site), "--since", str(saved))
    assert done.exit_code == 0, done.stdout
