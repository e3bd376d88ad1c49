"""Bidi controls in editor text never turn storylog's own text around (issue 12, finding 10).

Every field an editor writes carries a probe; the probe is then given a RIGHT-TO-LEFT
OVERRIDE (U+202E) in the site's model, so that every template is checked whatever the
commands accept on the way in: on every page each probe must sit in a ``<bdi>``
element (or, where no markup can go, between U+2068 and U+2069), and in a real browser
the chain-head hash and the words after a source's name still read left to right.
"""

from __future__ import annotations

import html.parser
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.site.conftest import serving

PROBE = "Zq"
RLO = "\u202e"
VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr"}


def build(cli: Cli) -> None:
    """A story with the probe in every field an editor (or the newsroom) writes."""
    cli.ok("new", "bidi", "--headline", f"Headline {PROBE}", "--standfirst", f"Lede {PROBE}")
    cli.ok("add", "bidi", "--id", "one", "--stamp", "2025-11-04 10:00",
           "--text", f"Body {PROBE}\nSecond {PROBE}",
           "--source", f"Source {PROBE},kind=person,via=Outlet {PROBE},url=https://x.example/",
           "--source", f"Alias {PROBE}",
           "--picture", f"Caption {PROBE}", "--credit", f"Credit {PROBE}",
           "--picture-url", "https://x.example/p.jpg",
           "--link", "https://x.example/l", "--link-label", f"Label {PROBE}", "--key-event")
    cli.ok("add", "bidi", "--id", "two", "--stamp", "2025-11-04 11:00", "--text", "Wrong.")
    cli.ok("publish", "bidi", "--note", f"Version note {PROBE}", editor=f"Editor {PROBE}")
    cli.ok("edit", "bidi", "one", "--kind", "correction", "--reason", "r",
           "--note", f"Correction {PROBE}", "--text", f"Body {PROBE} changed\nSecond {PROBE}")
    cli.ok("retract", "bidi", "two", "--reason", "r", "--note", f"Withdrawn {PROBE}",
           editor=f"Retractor {PROBE}")
    cli.ok("retitle", "bidi", "--headline", f"Headline {PROBE} new", "--kind", "clarification",
           "--reason", "r", "--note", f"Headline note {PROBE}")
    cli.ok("source", "merge", f"Alias {PROBE}", f"Source {PROBE}", "--reason", "r")
    cli.ok("publish", "bidi", "--note", f"Second note {PROBE}")


def hostile(value: Any) -> Any:
    """The site's model with every probe preceded by a RIGHT-TO-LEFT OVERRIDE."""
    if isinstance(value, str):
        return value.replace(PROBE, RLO + PROBE)
    if isinstance(value, dict):
        return {k: hostile(v) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v) for v in value]
    return value


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from storylog.app.service import StoryApp
    from storylog.projections.queries import Views
    from storylog.site.pages import environment, render_model
    from storylog.site.public_view import SiteOptions, collect

    cli = Cli(str(tmp_path_factory.mktemp("bidi") / "bidi.db"))
    build(cli)
    app = StoryApp(cli.db)
    try:
        options = SiteOptions(show_editors=True, publisher=f"Newsroom {RLO}{PROBE}")
        site = hostile(collect(Views(app), "bidi", options))
    finally:
        app.close()
    return render_model(site, options, checkpoint=None, env=environment())


class Isolation(html.parser.HTMLParser):
    """Where each probe in a page stands: inside <bdi>, or isolated by characters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.probes = 0
        self.bare: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and RLO in value:
                self._check_text(value, f"<{tag} {name}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if RLO not in data:
            return
        self.probes += data.count(RLO)
        if "bdi" in self.stack or "script" in self.stack:  # JSON-LD is data, not shown
            return
        if self.stack and self.stack[-1] == "title":
            self._check_text(data, "/".join(self.stack))
            return
        self.bare.append(f"{'/'.join(self.stack)}: {data.strip()[:60]!r}")

    def _check_text(self, text: str, where: str) -> None:
        depth = 0
        for c in text:
            depth += c == "\u2068"
            depth -= c == "\u2069"
            if c == RLO and depth <= 0:
                self.bare.append(f"{where}: {text.strip()[:60]!r}")
                return


def test_every_probe_reached_the_pages(files: dict[str, bytes]):
    everything = b"".join(files.values()).decode()
    for field in ("Headline", "Lede", "Body", "Source", "Outlet", "Alias", "Caption",
                  "Credit", "Label", "Version note", "Editor", "Correction", "Withdrawn",
                  "Retractor", "Headline note", "Second note", "Newsroom"):
        assert f"{field} {RLO}{PROBE}" in everything, field


@pytest.mark.parametrize("path", ["index.html", "v/1.html", "v/2.html", "diff/1.html",
                                  "diff/2.html", "history.html", "sources/index.html",
                                  "sources/source-zq.html", "sources/outlet-zq.html"])
def test_editor_text_is_isolated_on_every_page(files: dict[str, bytes], path: str):
    parser = Isolation()
    parser.feed(files[path].decode())
    assert parser.probes >= 3, path
    assert parser.bare == [], f"editor text not isolated on {path}"


def test_editor_text_is_isolated_in_the_feed(files: dict[str, bytes]):
    feed = ET.fromstring(files["feed.atom"])
    ns = "{http://www.w3.org/2005/Atom}"
    checked = 0
    for element in feed.iter():
        text = element.text or ""
        if RLO not in text:
            continue
        checked += 1
        if element.tag == f"{ns}content" and element.get("type") == "html":
            parser = Isolation()
            parser.feed(text)
            assert parser.bare == [], parser.bare
        else:
            assert text.count(RLO) == text.count("\u2068") and text.endswith("\u2069"), text
    assert checked >= 4


def test_the_story_index_footer_keeps_hashes_in_order(tmp_path: Path, browser: Any):
    """The review's case: a headline ending in U+202E turned the chain-head hash after
    it around on the page listing the stories. Checked where it is drawn: each
    character of the hash must stand to the right of the one before."""
    from storylog.app.service import StoryApp
    from storylog.projections.queries import Views
    from storylog.site.pages import render_sites
    from storylog.site.write import write_site

    cli = Cli(str(tmp_path / "b.db"))
    cli.ok("new", "bidi", "--headline", f"Headline {PROBE}")
    cli.ok("add", "bidi", "--text", "Body.", "--source", f"Source {PROBE},kind=person")
    cli.ok("publish", "bidi")
    app = StoryApp(cli.db)
    try:
        import storylog.site.pages as render

        real = render.collect
        render.collect = lambda *a, **k: hostile(real(*a, **k))  # type: ignore[assignment]
        try:
            files, _ = render_sites(Views(app))
        finally:
            render.collect = real
    finally:
        app.close()
    assert f"Headline {RLO}{PROBE}".encode() in files["bidi/index.html"]
    out = tmp_path / "site"
    write_site(files, out)
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        with serving(out) as base:
            for url, selector in ((base + "index.html", "footer code.hash"),
                                  (base + "bidi/sources/source-zq.html", "span.kind"),
                                  (base + "bidi/index.html", "span.kind")):
                page.goto(url)
                lefts = page.eval_on_selector(selector, """element => {
                    const node = element.firstChild, lefts = [];
                    for (let i = 0; i < node.length; i++) {
                        const range = document.createRange();
                        range.setStart(node, i); range.setEnd(node, i + 1);
                        lefts.push(range.getBoundingClientRect().left);
                    }
                    return lefts;
                }""")
                assert len(lefts) >= 8, url
                assert lefts == sorted(lefts), f"{selector} drawn right to left on {url}"
    finally:
        context.close()
