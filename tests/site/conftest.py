"""Fixtures of the site tests: stores to export, a local web server, a real browser.

The browser is Debian's chromium driven by Playwright (no browser download):
STORYLOG_CHROMIUM names its binary (`scripts/test` sets it from `scripts/browser`);
without it the binary is looked up with `dpkg -L chromium`. With no browser at all
the browser tests fail, saying how to get one: they never skip silently.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

SAMPLE = REPO / "events" / "samples" / "pokrovsk-demo.ndjson"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
NO_BROWSER = ("the site's browser tests need Debian's chromium: run scripts/browser (it "
              "installs the package if missing and prints the binary's path), then export "
              "STORYLOG_CHROMIUM=\"$(scripts/browser)\"; scripts/test does both")


def _is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def chromium_binary() -> str:
    """The real chromium binary (not the /usr/bin/chromium wrapper script)."""
    named = os.environ.get("STORYLOG_CHROMIUM")
    if named:
        if not (os.path.isfile(named) and os.access(named, os.X_OK)):
            pytest.fail(f"STORYLOG_CHROMIUM={named} is not an executable file; {NO_BROWSER}")
        return named
    try:
        listed = subprocess.run(["dpkg", "-L", "chromium"], capture_output=True, text=True,
                                check=False).stdout
    except FileNotFoundError:
        listed = ""
    for line in listed.splitlines():
        if (not line.startswith("/usr/bin/") and line.endswith(("/chromium", "/chrome"))
                and os.access(line, os.X_OK) and _is_elf(line)):
            return line
    pytest.fail(NO_BROWSER)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    binary = chromium_binary()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=binary, headless=True,
                                              args=BROWSER_ARGS)
        yield launched
        launched.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,  # noqa: RUF012
                      ".atom": "application/atom+xml"}

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(directory: Path) -> Iterator[str]:
    """``directory`` over HTTP on 127.0.0.1; yields the base address (ends with /)."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def load_sample(db: str) -> None:
    from storylog.app.archive import Archive
    from storylog.app.service import StoryApp
    from storylog.store.transfer import parse_lines

    app = StoryApp(db)
    try:
        Archive(app).load(parse_lines(SAMPLE.read_bytes().splitlines()))
    finally:
        app.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store holding the sample stream (the demo story: 4 versions, a
    correction, a retraction)."""
    db = str(tmp_path_factory.mktemp("demo") / "demo.db")
    load_sample(db)
    return db


@pytest.fixture(scope="module")
def demo_files(demo_db: str) -> dict[str, bytes]:
    from storylog.app.service import StoryApp
    from storylog.projections.queries import Views
    from storylog.site import render_site

    app = StoryApp(demo_db)
    try:
        return render_site(Views(app), "pokrovsk-live")
    finally:
        app.close()


@pytest.fixture(scope="module")
def demo_site(demo_files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    from storylog.site import write_site

    out = tmp_path_factory.mktemp("demo-site") / "site"
    write_site(demo_files, out)
    return out
