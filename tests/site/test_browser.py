"""The demo story's site in a real headless browser: the pages render, links between them
work, no page logs an error, and it reads on a phone without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.site.conftest import serving


@pytest.fixture(scope="module")
def base(demo_site: Path) -> Iterator[str]:
    with serving(demo_site) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    errors: list[str] = []
    opened = context.new_page()
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.errors = errors
    yield opened
    context.close()


def test_story_page_renders(page: Any, base: str):
    response = page.goto(base + "index.html")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Battle for Pokrovsk: what we know"
    assert page.title() == "Battle for Pokrovsk: what we know"
    updates = page.locator("article.update")
    assert updates.count() == 8
    assert "2025-11-11 08:26" in updates.first.locator(".stamp").inner_text()
    correction = page.locator("#u-roepcke-85 .note-correction")
    assert correction.is_visible() and "He said about 85%" in correction.inner_text()
    withdrawn = page.locator("#u-station-claim s")
    assert withdrawn.count() == 1
    assert "line-through" in withdrawn.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert page.locator(".corrections li").count() == 2
    # The stylesheet loaded (the policy allows it) and the page fits a phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.locator("body").evaluate("e => getComputedStyle(e).maxWidth") != "none"
    assert page.errors == []


def test_history_page_renders(page: Any, base: str):
    assert page.goto(base + "history.html").status == 200
    versions = page.locator("ol.versions > li")
    assert versions.count() == 4
    assert versions.first.locator("h2").inner_text() == "Version 4"
    assert "3 added, 0 edited, 1 retracted, 1 public note" in versions.first.inner_text()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.errors == []


def test_diff_page_renders(page: Any, base: str):
    assert page.goto(base + "diff/3.html").status == 200
    assert page.locator("h1").inner_text() == "What changed in version 3"
    deleted, inserted = page.locator(".words del").first, page.locator(".words ins").first
    assert deleted.text_content() == "[deleted: 80]"  # what a screen reader reads
    assert inserted.text_content() == "[inserted: 85]"
    # Visually: struck through and underlined, the screen-reader words hidden.
    assert "line-through" in deleted.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "underline" in inserted.evaluate("e => getComputedStyle(e).textDecorationLine")
    hidden = page.locator(".words del .vh").first.bounding_box()
    assert hidden is None or (hidden["width"] <= 1 and hidden["height"] <= 1)
    assert page.errors == []


def test_links_between_the_pages_work(page: Any, base: str):
    page.goto(base + "index.html")
    page.locator("nav a", has_text="Change history").click()
    assert page.url == base + "history.html"
    page.locator("#v3 a", has_text="What changed since version 2").click()
    assert page.url == base + "diff/3.html"
    page.locator("main a", has_text="version 2").first.click()
    assert page.url == base + "v/2.html"
    assert "This is version 2" in page.locator(".permalink").inner_text()
    page.locator(".permalink a", has_text="read the latest version").click()
    assert page.url == base + "index.html"
    page.locator("#u-roepcke-85 .sources a", has_text="Julian Röpcke").click()
    assert page.url == base + "sources/julian-ropcke.html"
    assert page.locator("ol.timeline > li").count() == 2
    page.locator("nav a", has_text="Sources").click()
    assert page.url == base + "sources/index.html"
    assert page.errors == []


def test_every_link_on_every_page_leads_somewhere(browser: Any, base: str, demo_site: Path):
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(f"{opened.url}: {m.text}")
              if m.type == "error" else None)
    checked: set[str] = set()
    try:
        for path in sorted(p.relative_to(demo_site).as_posix() for p in demo_site.rglob("*.html")):
            assert opened.goto(base + path).status == 200
            links = opened.eval_on_selector_all(
                "a[href], link[href]", "els => els.map(e => [e.href, e.getAttribute('rel')])")
            for href, rel in links:
                if not href.startswith(base) or rel == "canonical":
                    continue
                target, _, anchor = href.partition("#")
                if target not in checked:
                    assert context.request.get(target).status == 200, f"{path} -> {href}"
                    checked.add(target)
                if anchor:
                    if target != opened.url.partition("#")[0]:
                        continue  # anchors in other pages: checked when that page is open
                    assert opened.locator(f"[id='{anchor}']").count() == 1, f"{path} -> {href}"
    finally:
        context.close()
    assert errors == []
    assert len(checked) >= 28


def test_the_pages_read_without_javascript(browser: Any, base: str):
    context = browser.new_context(java_script_enabled=False)
    try:
        opened = context.new_page()
        opened.goto(base + "index.html")
        assert "He said about 85%" in opened.locator("main").inner_text()
        opened.goto(base + "diff/3.html")
        assert "85" in opened.locator(".words ins").first.inner_text()
    finally:
        context.close()


def test_the_site_works_from_files_too(browser: Any, demo_site: Path):
    context = browser.new_context()
    errors: list[str] = []
    try:
        opened = context.new_page()
        opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        opened.goto((demo_site / "index.html").as_uri())
        assert opened.locator("h1").is_visible()
        opened.locator("nav a", has_text="Change history").click()
        assert opened.url.endswith("/history.html")
    finally:
        context.close()
    assert errors == []
