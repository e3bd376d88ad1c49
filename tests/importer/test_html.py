"""HTML pages: structured data first (JSON-LD, microdata), the HTML for what it lacks."""

from __future__ import annotations

import json

from storylog.importer import parse_page
from tests.conftest import Cli
from tests.importer.corpus import CORPUS

JSONLD = CORPUS / "h04-markets-jsonld.html"


def html_page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def test_json_ld_live_blog_updates_give_zoned_times_titles_bodies_and_authors() -> None:
    head = ('<script type="application/ld+json">{"@type": "LiveBlogPosting", "headline": "H",'
            ' "liveBlogUpdate": [{"headline": "Rates cut", "datePublished":'
            ' "2025-05-08T12:00:00+01:00", "articleBody": "The Bank cut rates, Reuters said.",'
            ' "author": [{"name": "Ann Lee"}, {"name": "Bo Chan"}]}]}</script>')
    page = parse_page(html_page("<p>shell</p>", head), year=None, tz="Europe/Kyiv")
    [update] = page.updates
    assert (update.stamp, update.title, update.byline) == ("2025-05-08 14:00", "Rates cut",
                                                           "Ann Lee and Bo Chan")
    assert update.body == "The Bank cut rates, Reuters said."
    assert [s["name"] for s in update.sources] == ["Reuters"]
    assert page.headline == "H"


def test_posts_without_structured_data_are_found_by_their_time_elements() -> None:
    body = "".join(
        f'<article><h2>Title {n}</h2><time datetime="2025-01-0{n}T10:00:00Z">10:00</time>'
        f'<p class="byline">By Writer {n}</p><p>Text {n}.</p></article>' for n in (2, 1))
    page = parse_page(html_page(body), year=None, tz="UTC")
    assert [(u.stamp, u.title, u.byline, u.body) for u in page.updates] == [
        ("2025-01-02 10:00", "Title 2", "Writer 2", "Text 2."),
        ("2025-01-01 10:00", "Title 1", "Writer 1", "Text 1."),
    ]


def test_site_chrome_never_reaches_an_update() -> None:
    body = ('<nav><a href="/">Home</a></nav><div class="cookie-banner"><p>We use cookies.</p>'
            '</div><article><time datetime="2025-01-01T10:00:00Z">10:00</time><p>Real text.</p>'
            '<div class="ad-slot"><p>Advertisement</p></div><aside><a href="/x">Related</a>'
            '</aside></article><footer><p>Copyright 2025</p></footer>')
    [update] = parse_page(html_page(body), year=None, tz="UTC").updates
    assert update.body == "Real text."


def test_figures_become_pictures_with_caption_and_credit() -> None:
    body = ('<article><time datetime="2025-01-01T10:00:00Z">10:00</time><p>Text.</p><figure>'
            '<img src="https://example.org/a.jpg"><figcaption>A bridge at dawn. '
            '<span class="credit">Photo: AFP</span></figcaption></figure></article>')
    [update] = parse_page(html_page(body), year=None, tz="UTC").updates
    assert update.media == [{"type": "picture", "caption": "A bridge at dawn.", "credit": "AFP",
                             "url": "https://example.org/a.jpg"}]
    assert update.body == "Text."


def test_microdata_live_blog_updates_are_read() -> None:
    body = ('<div itemscope itemtype="https://schema.org/LiveBlogPosting">'
            '<div itemprop="liveBlogUpdate" itemscope itemtype="https://schema.org/BlogPosting">'
            '<h2 itemprop="headline">Polls close</h2>'
            '<meta itemprop="datePublished" content="2025-05-18T21:00:00+03:00">'
            '<span itemprop="author">Ioana Pop</span>'
            '<div itemprop="articleBody"><p>Polls closed.</p></div></div></div>')
    [update] = parse_page(html_page(body), year=None, tz="UTC").updates
    assert (update.stamp, update.title, update.byline, update.body) == (
        "2025-05-18 18:00", "Polls close", "Ioana Pop", "Polls closed.")


def test_a_page_that_starts_with_an_angle_bracket_in_prose_is_still_text() -> None:
    page = parse_page("<3 to all readers.\nUpdated November 11, 8:26 A.M.\nBild said so.\n",
                      year=2025, tz="UTC")
    assert [u.stamp for u in page.updates] == ["2025-11-11 08:26"]


def test_storylog_import_reads_an_html_page_by_its_content(cli: Cli) -> None:
    cli.ok("import", "markets", str(JSONLD), "--tz", "America/New_York")
    view = json.loads(cli.ok("show", "markets", "--json"))
    assert [u["stamp"] for u in view["updates"]] == [
        "2025-04-04T16:05", "2025-04-04T13:10", "2025-04-04T10:02"]
    assert view["headline"] == "Markets live: stocks tumble as tariffs bite"


def test_a_page_whose_root_is_marked_as_chrome_still_parses():
    """Found by the slow stage's atheris run: a chrome role on <html> made the parser try to
    remove the page's root (SelectolaxError)."""
    from storylog.importer import parse_page

    page = ('<html role="banner" class="cookie"><body><article><time '
            'datetime="2025-11-05T10:00:00+02:00">10:00</time><p>Body text here.</p>'
            '</article></body></html>')
    assert len(parse_page(page, year=None, tz="UTC").updates) == 1
