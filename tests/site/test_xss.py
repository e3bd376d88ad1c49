"""XSS payloads in every editor-supplied field execute nothing, in a real browser.

The site is checked with its Content-Security-Policy bypassed, so that escaping alone
is proven; the policy is proven separately, on a page rendered without escaping.
The same harness, pointed at that unescaped page, must catch the payloads running:
so these tests can fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
from markupsafe import escape

from tests.site.conftest import serving
from tests.site.xss import PAYLOADS, URL_PAYLOADS, Harness, build_story

SLUG = "xss"


@pytest.fixture(scope="module")
def xss_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from storylog.app.service import StoryApp
    from storylog.projections.queries import Views
    from storylog.site import collect, render_model, render_site, write_site
    from storylog.site.pages import environment

    root = tmp_path_factory.mktemp("xss")
    app = StoryApp(str(root / "xss.db"))
    try:
        build_story(app, SLUG)
        views = Views(app)
        files = render_site(views, SLUG)
        unescaped = render_model(collect(views, SLUG), env=environment(autoescape=False))
    finally:
        app.close()
    write_site(files, root / "site")
    write_site(unescaped, root / "unescaped")
    return {"files": files, "site": root / "site", "unescaped": root / "unescaped"}


@pytest.fixture(scope="module")
def site_base(xss_sites: dict[str, Any]) -> Iterator[str]:
    with serving(xss_sites["site"]) as base:
        yield base


@pytest.fixture(scope="module")
def unescaped_base(xss_sites: dict[str, Any]) -> Iterator[str]:
    with serving(xss_sites["unescaped"]) as base:
        yield base


def blocked_only(errors: list[str]) -> bool:
    """Only the harness's own refusals to reach the network (pictures hosted elsewhere)."""
    return all(e == "Failed to load resource: net::ERR_FAILED" for e in errors)


def test_there_are_at_least_a_hundred_payloads():
    assert len(set(PAYLOADS)) >= 100


def test_the_payloads_are_in_every_kind_of_field(xss_sites: dict[str, Any]):
    files = xss_sites["files"]
    latest = max(int(p[2:-5]) for p in files if re.fullmatch(r"v/\d+\.html", p))
    assert latest >= 10
    index = files["index.html"].decode()
    assert 'class="note note-correction"' in index and 'class="note note-retraction"' in index
    assert 'class="note note-clarification"' in index and "Editor&#39;s note" in index
    assert "<figcaption>" in index and 'class="media-link"' in index
    assert len([p for p in files if p.startswith("sources/")]) > 200


def test_no_payload_runs_on_the_main_pages(browser: Any, xss_sites: dict[str, Any],
                                           site_base: str):
    files = xss_sites["files"]
    latest = max(int(p[5:-5]) for p in files if re.fullmatch(r"diff/\d+\.html", p))
    source = next(p for p in sorted(files) if p.startswith("sources/") and "index" not in p)
    harness = Harness(browser, site_base, bypass_csp=True)
    try:
        for path in ("index.html", "history.html", f"diff/{latest}.html", "diff/2.html",
                     "v/1.html", "sources/index.html", source):
            found = harness.visit(path)
            assert found.clean, (path, found.executed, found.beacons, found.injected[:20])
            assert blocked_only(found.console_errors), (path, found.console_errors)
            if path == "index.html":
                shown = [p for p in PAYLOADS if p.strip() not in found.text]
                assert shown == [], f"payloads not shown as text: {shown[:5]}"
    finally:
        harness.close()


@pytest.mark.parametrize("path, at_least", [
    ("diff/2.html", 5),  # the ten payloads added in version 2
    pytest.param("index.html", 30, marks=pytest.mark.slow),  # all of them
])
def test_the_harness_catches_payloads_on_an_unescaped_page(browser: Any, unescaped_base: str,
                                                           path: str, at_least: int):
    harness = Harness(browser, unescaped_base, bypass_csp=True)
    try:
        found = harness.visit(path)
    finally:
        harness.close()
    ran = {re.sub(r"\D", "", hit) for hit in found.executed}
    assert len(ran) >= at_least, f"only {sorted(ran)} ran: the harness would miss an XSS"
    assert found.injected


def test_the_content_security_policy_alone_stops_execution(browser: Any, unescaped_base: str):
    harness = Harness(browser, unescaped_base, bypass_csp=False)
    try:
        found = harness.visit("diff/2.html")
    finally:
        harness.close()
    assert found.injected, "the page really is unescaped"
    assert found.executed == [], found.executed
    assert any("Content Security Policy" in e for e in found.console_errors)


def test_payloads_leave_feed_and_json_ld_intact(xss_sites: dict[str, Any]):
    files = xss_sites["files"]
    feed = feedparser.parse(files["feed.atom"])
    assert not feed.bozo, feed.get("bozo_exception")
    notes = {e.summary for e in feed.entries if not e.title.startswith("Version ")}
    assert PAYLOADS[0] in notes  # a correction note, as plain text
    index = files["index.html"].decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', index, re.S)
    assert len(blocks) == 1
    doc = json.loads(blocks[0])
    bodies = {u.get("articleBody", "") for u in doc["liveBlogUpdate"]}
    assert any(PAYLOADS[10] in b for b in bodies)  # the </script> breakout, kept as data


def test_links_with_payloads_are_never_emitted_raw(xss_sites: dict[str, Any]):
    escaped = 0  # pages where a payload that needs escaping is a link, escaped
    for path, data in xss_sites["files"].items():
        text = data.decode()
        for url in URL_PAYLOADS:
            if str(escape(url)) == url:
                continue  # nothing in it to escape: an ordinary http(s) address
            assert f'href="{url}"' not in text and f'src="{url}"' not in text, path
            escaped += f'href="{escape(url)}"' in text
        assert not re.search(r'(href|src)="\s*(javascript|data(?!:,")|vbscript):', text, re.I), \
            path
    # The payloads did reach the pages as links (a site without them would prove nothing):
    # the one with quotes in its path is on the story, version, diff and source pages.
    assert escaped >= 40


@pytest.mark.slow
@pytest.mark.parametrize("bypass_csp", [True, False], ids=["escaping", "escaping+csp"])
def test_no_payload_runs_on_any_page(browser: Any, xss_sites: dict[str, Any], site_base: str,
                                     bypass_csp: bool):
    site: Path = xss_sites["site"]
    paths = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(paths) > 200
    harness = Harness(browser, site_base, bypass_csp=bypass_csp)
    failures = []
    try:
        for path in paths:
            found = harness.visit(path, settle_ms=50)
            if not found.clean or not blocked_only(found.console_errors):
                failures.append((path, found.executed, found.beacons, found.injected[:5],
                                 found.console_errors[:3]))
    finally:
        harness.close()
    assert failures == []
