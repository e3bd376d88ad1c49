"""`storylog export` and `storylog serve`: atomic, incremental, and safe to point wrongly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, Cli, storylog_process
from tests.site.conftest import load_sample

SLUG = "pokrovsk-live"


@pytest.fixture
def demo(tmp_path: Path) -> Cli:
    db = str(tmp_path / "demo.db")
    load_sample(db)
    return Cli(db)


def snapshot(out: Path) -> dict[str, tuple[bytes, int, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
            for p in out.rglob("*") if p.is_file()}


def test_export_writes_the_site_and_reports_counts(demo: Cli, tmp_path: Path):
    out = tmp_path / "site"
    result = demo("export", SLUG, str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "28 written, 0 unchanged, 0 removed" in result.stderr
    assert (out / "index.html").is_file() and (out / "diff" / "4.html").is_file()
    assert oct((out / "index.html").stat().st_mode & 0o777) != "0o600"
    assert not [p for p in tmp_path.iterdir() if ".storylog-tmp-" in p.name]


def test_re_export_rewrites_only_the_pages_that_changed(demo: Cli, tmp_path: Path):
    out = tmp_path / "site"
    demo.ok("export", SLUG, str(out))
    before = snapshot(out)
    time.sleep(0.01)
    again = demo("export", SLUG, str(out))
    assert "0 written, 28 unchanged, 0 removed" in again.stderr
    assert snapshot(out) == before  # same bytes, same modification times, same files

    # Unpublished work changes nothing on the site.
    demo.ok("add", SLUG, "--id", "draft", "--stamp", "2025-11-12 09:00", "--text", "Draft.")
    demo.ok("edit", SLUG, "roepcke-85", "--kind", "correction", "--reason", "r",
            "--note", "Unpublished note.", "--text", "Unpublished text.")
    assert "0 written, 28 unchanged" in demo("export", SLUG, str(out)).stderr
    assert snapshot(out) == before

    demo.ok("publish", SLUG)
    result = demo("export", SLUG, str(out))
    after = snapshot(out)
    # The marker lists the site's files: it changes with them, and is not counted.
    changed = {p for p in after if (p not in before or after[p] != before[p])
               and p != ".storylog-site"}
    assert {"index.html", "history.html", "feed.atom", "v/5.html", "diff/5.html"} <= changed
    untouched = {f"v/{n}.html" for n in range(1, 5)} | {f"diff/{n}.html" for n in range(1, 5)}
    untouched |= {"style.css"}
    assert not untouched & changed
    for path in untouched:
        assert after[path] == before[path]
    pages = [p for p in after if p != ".storylog-site"]
    assert f"{len(changed)} written, {len(pages) - len(changed)} unchanged" in result.stderr


def test_a_takedown_removes_pages_that_only_it_needed(demo: Cli, tmp_path: Path):
    out = tmp_path / "site"
    demo.ok("export", SLUG, str(out))
    assert (out / "sources" / "telegram-channel.html").is_file()
    demo.ok("takedown", SLUG, "station-claim", "--grounds", "legal", "--reason", "r")
    result = demo("export", SLUG, str(out))
    assert "1 removed" in result.stderr
    assert not (out / "sources" / "telegram-channel.html").exists()
    for page in out.rglob("*.html"):
        assert "Telegram channel claims" not in page.read_text(), page
    # The takedown took effect at once, in every version, with a notice.
    assert "removed on legal grounds" in (out / "v" / "4.html").read_text()


def test_an_export_that_fails_leaves_the_previous_site(demo: Cli, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    from storylog.site import write

    out = tmp_path / "site"
    demo.ok("export", SLUG, str(out))
    demo.ok("add", SLUG, "--stamp", "2025-11-12 09:00", "--text", "New.")
    demo.ok("publish", SLUG)  # so that the next export has pages to write
    before = snapshot(out)
    calls = []

    def failing_open(*args: object, **kwargs: object) -> object:
        calls.append(args)
        if len(calls) > 2:
            raise OSError(28, "No space left on device")
        return open(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(write, "open", failing_open, raising=False)
    result = demo("export", SLUG, str(out))
    assert result.exit_code != 0 and "No space left" in result.stderr
    assert snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if ".storylog-tmp-" in p.name]


def test_an_export_killed_midway_leaves_the_previous_site(demo: Cli, tmp_path: Path):
    out = tmp_path / "site"
    demo.ok("export", SLUG, str(out))
    before = snapshot(out)
    script = textwrap.dedent(f"""
        import sys, time
        from storylog.site import write
        real = open
        def slow(*a, **k):
            print("writing", flush=True)
            time.sleep(0.2)
            return real(*a, **k)
        write.open = slow
        files = {{f"page{{n}}.html": b"new" for n in range(100)}}
        write.write_site(files, {str(out)!r})
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.readline()
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert snapshot(out) == before
    assert [p for p in tmp_path.iterdir() if ".storylog-tmp-" in p.name], "killed mid-way"
    demo.ok("export", SLUG, str(out))  # the next export clears what the killed one left
    assert not [p for p in tmp_path.iterdir() if ".storylog-tmp-" in p.name]
    assert snapshot(out) == before


def test_export_refuses_a_directory_it_did_not_write(demo: Cli, tmp_path: Path):
    out = tmp_path / "home"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = demo("export", SLUG, str(out))
    assert result.exit_code == 1
    assert "did not write" in result.stderr
    assert (out / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["precious.txt"]
    file = tmp_path / "file"
    file.write_text("x")
    assert demo("export", SLUG, str(file)).exit_code in (1, 2)


def test_export_of_a_story_never_published_is_refused(sqlite_cli: Cli, tmp_path: Path):
    sqlite_cli.ok("new", "draft", "--headline", "Draft")
    sqlite_cli.ok("add", "draft", "--text", "Not yet public.")
    result = sqlite_cli("export", "draft", str(tmp_path / "site"))
    assert result.exit_code == 1
    assert "no published version" in result.stderr
    assert not (tmp_path / "site").exists()
    assert sqlite_cli("export", "nope", str(tmp_path / "site")).exit_code == 3


def test_export_usage(demo: Cli, tmp_path: Path):
    assert demo("export", SLUG).exit_code == 2
    assert demo("export").exit_code == 2
    assert demo("export", "--all", "a", "b").exit_code == 2
    assert demo("export", SLUG, str(tmp_path / "x"), "--base-url", "ftp://x").exit_code == 1


def test_export_all_writes_every_published_story(demo: Cli, tmp_path: Path):
    demo.ok("new", "second", "--headline", "Second story", "--lang", "uk")
    demo.ok("add", "second", "--stamp", "2025-11-06 10:00", "--text", "Друге.")
    demo.ok("publish", "second")
    demo.ok("new", "unpublished", "--headline", "Not yet")
    out = tmp_path / "all"
    result = demo("export", "--all", str(out))
    assert result.exit_code == 0, result.stderr
    assert "skipped unpublished: no published version yet" in result.stderr
    index = (out / "index.html").read_text()
    assert 'href="pokrovsk-live/index.html"' in index and 'href="second/index.html"' in index
    assert "unpublished" not in index
    assert (out / "second" / "index.html").read_text().startswith(
        '<!DOCTYPE html>\n<html lang="uk"')
    assert (out / SLUG / "history.html").is_file()


def test_help_stays_fast_without_the_site_libraries():
    probe = ("import sys, storylog.cli; "
             "print(sorted(m for m in ('jinja2', 'storylog.site') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
    listed = subprocess.run([sys.executable, "-m", "storylog.cli", "--help"],
                            capture_output=True, text=True, check=True).stdout
    assert "export" in listed and "serve" in listed


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serve_previews_the_site_on_localhost(tmp_path: Path):
    db = str(tmp_path / "serve.db")
    load_sample(db)
    env = dict(os.environ, STORYLOG_DB=db, NO_COLOR="1")
    process = subprocess.Popen([sys.executable, "-m", "storylog.cli", "serve", SLUG,
                                "--port", "0"], env=env, stderr=subprocess.PIPE, text=True,
                               cwd=REPO)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith(f"serving {SLUG} at http://127.0.0.1:"), line
        base = line.split(" at ")[1].split()[0]
        status, headers, body = _get(base)
        assert status == 200 and b"<h1><bdi>Battle for Pokrovsk" in body
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert "script-src 'none'" in headers["Content-Security-Policy"]
        for path, kind in (("history.html", "text/html"), ("diff/3.html", "text/html"),
                           ("style.css", "text/css"), ("feed.atom", "application/atom+xml"),
                           ("sources/", "text/html")):
            status, headers, _ = _get(base + path)
            assert status == 200 and headers["Content-Type"].startswith(kind), path
        assert _get(base + "sources")[0] == 200  # redirected to sources/
        assert _get(base + "nothing-here.html")[0] == 404
        assert _get(base + "../../etc/passwd")[0] == 404
        # A new version published meanwhile shows without a restart.
        storylog_process("add", SLUG, "--stamp", "2025-11-12 09:00", "--text", "New.",
                         db=db, check=True)
        storylog_process("publish", SLUG, db=db, check=True)
        assert _get(base + "v/5.html")[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            # Generous: CI once timed out at 10 s on a machine busy with the crash suites.
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(
                f"serve did not stop on Ctrl-C: {process.communicate()[1]!r}") from None
    assert process.returncode == 0


def test_the_latest_signed_checkpoint_is_in_every_footer(demo: Cli, tmp_path: Path):
    key = tmp_path / "newsroom.key"
    demo.ok("keygen", str(key))
    demo.ok("checkpoint", "--key", str(key), "--log", str(tmp_path / "checkpoints.ndjson"))
    out = tmp_path / "site"
    demo.ok("export", SLUG, str(out))
    line = (tmp_path / "checkpoints.ndjson").read_text().splitlines()[-1]
    assert '"seq":1' in line.replace(" ", "")
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert "Latest signed checkpoint: number 1, <code class=\"hash\">" in text, page
        assert "storylog verify --checkpoints LOG --pubkey KEY.pub" in text, page
    plain = tmp_path / "plain"
    demo.ok("export", SLUG, str(plain), "--no-checkpoint")
    assert "checkpoint" not in (plain / "index.html").read_text().lower()


def test_merged_sources_share_one_page(sqlite_cli: Cli, tmp_path: Path):
    sqlite_cli.ok("new", "m", "--headline", "Merges")
    sqlite_cli.ok("add", "m", "--stamp", "2025-11-04 10:00", "--text", "One.",
                  "--source", "Reuters")
    sqlite_cli.ok("add", "m", "--stamp", "2025-11-04 11:00", "--text", "Two.",
                  "--source", "Reuters newswire")
    sqlite_cli.ok("source", "merge", "Reuters newswire", "Reuters", "--reason", "same")
    sqlite_cli.ok("publish", "m")
    out = tmp_path / "site"
    sqlite_cli.ok("export", "m", str(out))
    assert sorted(p.name for p in (out / "sources").iterdir()) == ["index.html", "reuters.html"]
    page = (out / "sources" / "reuters.html").read_text()
    assert "Also cited as</dt><dd><bdi>Reuters newswire</bdi>" in page
    assert page.count('<li>\n<p class="citation">') + page.count("<li>\n<article") == 2


def test_export_keeps_the_signed_checkpoint_log_and_any_file_it_did_not_write(
        demo: Cli, tmp_path: Path):
    """Issue 12, finding 4: export deleted a checkpoint log kept in the site directory."""
    out = tmp_path / "site"
    demo.ok("export", SLUG, str(out))
    key = tmp_path / "newsroom.key"
    demo.ok("keygen", str(key))
    log = out / "checkpoints.ndjson"
    demo.ok("checkpoint", "--key", str(key), "--log", str(log))
    (out / "keys").mkdir()
    (out / "keys" / "newsroom.pub").write_bytes(Path(f"{key}.pub").read_bytes())
    (out / "latest-log").symlink_to("checkpoints.ndjson")
    before = {p: (out / p).read_bytes() for p in ("checkpoints.ndjson", "keys/newsroom.pub")}
    inode = log.stat().st_ino
    demo.ok("add", SLUG, "--stamp", "2025-11-12 09:00", "--text", "New.")
    demo.ok("publish", SLUG)
    result = demo("export", SLUG, str(out))
    assert result.exit_code == 0, result.stderr
    assert "0 removed, 3 not storylog's kept" in result.stderr
    assert {p: (out / p).read_bytes() for p in before} == before
    assert log.stat().st_ino == inode  # the same file, not a copy
    assert os.readlink(out / "latest-log") == "checkpoints.ndjson"
    assert (out / "v" / "5.html").is_file()
    demo.ok("verify", "--checkpoints", str(log), "--pubkey", f"{key}.pub")
    # A page of the site that is no longer needed still goes.
    demo.ok("takedown", SLUG, "station-claim", "--grounds", "legal", "--reason", "r")
    assert "1 removed, 3 not storylog's kept" in demo("export", SLUG, str(out)).stderr
    assert not (out / "sources" / "telegram-channel.html").exists() and log.is_file()


def test_export_refuses_to_overwrite_a_file_it_did_not_write(demo: Cli, tmp_path: Path):
    out = tmp_path / "site"
    demo.ok("export", SLUG, str(out))
    (out / "v" / "5.html").write_text("the newsroom's own page")
    demo.ok("add", SLUG, "--stamp", "2025-11-12 09:00", "--text", "New.")
    demo.ok("publish", SLUG)
    before = snapshot(out)
    result = demo("export", SLUG, str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "v/5.html was not written" in result.stderr
    assert snapshot(out) == before


def test_a_site_exported_before_the_marker_listed_its_files_keeps_foreign_files(
        demo: Cli, tmp_path: Path):
    """An older export's marker lists no files: its pages, feed and stylesheet are
    taken as storylog's, anything else is kept."""
    out = tmp_path / "site"
    demo.ok("export", SLUG, str(out))
    (out / ".storylog-site").write_bytes(
        b"This directory is written by `storylog export`; it is replaced on every export.\n")
    (out / "v" / "9.html").write_text("a page an older export left")
    (out / "checkpoints.ndjson").write_text("{}\n")
    result = demo("export", SLUG, str(out))
    assert result.exit_code == 0, result.stderr
    assert "1 removed, 1 not storylog's kept" in result.stderr
    assert not (out / "v" / "9.html").exists()
    assert (out / "checkpoints.ndjson").read_text() == "{}\n"
    assert "checkpoints.ndjson" not in (out / ".storylog-site").read_text()
