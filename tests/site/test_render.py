"""The site rendered from the sample stream: its pages, feed, JSON-LD and safety rules."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import pytest
from markupsafe import escape

from storylog.site.safe import file_name, json_script, safe_url, xml_clean

SLUG = "pokrovsk-live"


def pages(files: dict[str, bytes]) -> dict[str, str]:
    return {p: d.decode() for p, d in files.items() if p.endswith(".html")}


def json_ld(page: str) -> Any:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(found) == 1
    return json.loads(found[0])


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src", "action", "formaction") and value is not None:
                self.links.append((tag, name, value))


def parse(page: str) -> Links:
    parser = Links()
    parser.feed(page)
    return parser


def test_the_site_has_every_page(demo_files: dict[str, bytes]):
    names = set(demo_files)
    assert {"index.html", "history.html", "feed.atom", "style.css", "sources/index.html"} <= names
    assert {f"v/{n}.html" for n in range(1, 5)} <= names
    assert {f"diff/{n}.html" for n in range(1, 5)} <= names
    assert {"sources/julian-ropcke.html", "sources/bild.html",
            "sources/ukraines-general-staff.html"} <= names
    assert all(re.fullmatch(r"[a-z0-9/.-]+", name) for name in names), "URL-safe names"


def test_rendering_is_deterministic(demo_db: str, demo_files: dict[str, bytes]):
    from storylog.app.service import StoryApp
    from storylog.projections.queries import Views
    from storylog.site import render_site

    app = StoryApp(demo_db)
    try:
        again = render_site(Views(app), SLUG)
    finally:
        app.close()
    assert again == demo_files


def test_story_page_is_the_latest_published_version(demo_files: dict[str, bytes]):
    index = demo_files["index.html"].decode()
    latest = demo_files["v/4.html"].decode()
    # Same updates as the version-4 permalink, in the same order, newest first.
    ids = re.findall(r'<article class="update[^"]*" id="(u-[^"]+)"', index)
    assert ids == re.findall(r'<article class="update[^"]*" id="(u-[^"]+)"', latest)
    assert ids[0] == "u-video-nov10" and ids[-1] == "u-roepcke-85"
    stamps = re.findall(r'<h3 class="stamp"><a href="#u-[^"]+"><time datetime="([^"]+)"', index)
    assert stamps == sorted(stamps, reverse=True)
    assert "2025-11-11 08:26 EET" in index


def test_corrections_are_prominent_on_the_update_they_concern(demo_files: dict[str, bytes]):
    index = demo_files["index.html"].decode()
    update = index[index.index('id="u-roepcke-85"'):]
    update = update[:update.index("</article>")]
    note = update.index("note-correction")
    assert note < update.index('<div class="body">'), "the correction comes before the text"
    assert "He said about 85%." in update
    box = index[index.index('class="corrections"'):index.index("</section>")]
    assert 'href="#u-roepcke-85"' in box and 'href="#u-station-claim"' in box


def test_a_retracted_update_stays_with_its_notice_and_struck_text(demo_files: dict[str, bytes]):
    index = demo_files["index.html"].decode()
    update = index[index.index('id="u-station-claim"'):]
    update = update[:update.index("</article>")]
    assert "This update has been withdrawn" in update
    assert "<s><bdi>A Telegram channel claims Ukrainian units have retaken" in update


def test_history_lists_every_version_with_counts_and_links(demo_files: dict[str, bytes]):
    history = demo_files["history.html"].decode()
    versions = re.findall(r'<li id="v(\d+)">', history)
    assert versions == ["4", "3", "2", "1"]
    assert "1 added, 1 edited, 0 retracted, 1 public note" in history  # version 3
    assert "3 added, 0 edited, 1 retracted, 1 public note" in history  # version 4
    for n in range(1, 5):
        assert f'href="diff/{n}.html"' in history and f'href="v/{n}.html"' in history


def test_diff_page_marks_words_for_screen_readers(demo_files: dict[str, bytes]):
    diff = demo_files["diff/3.html"].decode()
    assert ('<del><span class="vh">[deleted: </span><bdi>80</bdi><span class="vh">]</span></del>'
            '<ins><span class="vh">[inserted: </span><bdi>85</bdi><span class="vh">]</span>'
            '</ins>') in diff
    assert "Correction" in diff and "He said about 85%." in diff


def test_every_internal_link_resolves(demo_files: dict[str, bytes]):
    parsed = {path: parse(page) for path, page in pages(demo_files).items()}
    links: dict[str, int] = dict.fromkeys(parsed, 0)  # internal links checked, per page
    anchors = 0
    for path, found in parsed.items():
        for tag, attr, value in found.links:
            if value.startswith(("http://", "https://", "data:")):
                continue
            base = Path(path).parent
            target, _, anchor = value.partition("#")
            resolved = (Path("/") / base / target).resolve().relative_to("/").as_posix() \
                if target else path
            assert resolved in demo_files, f"{path}: <{tag} {attr}={value}> goes nowhere"
            links[path] += 1
            if anchor and resolved in parsed:
                assert anchor in parsed[resolved].ids, f"{path}: #{anchor} not in {resolved}"
                anchors += 1
    # Not a pass by default: the sample's 26 pages each link to the stylesheet and the
    # story's other pages, and its history and diffs link to updates by anchor.
    assert len(parsed) >= 20 and min(links.values()) >= 5, links
    assert anchors >= 100


def test_every_page_forbids_scripts_and_carries_the_chain_head(demo_files: dict[str, bytes]):
    heads = {}
    for path, page in pages(demo_files).items():
        assert '<html lang="en" dir="ltr">' in page
        csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
        assert csp and "script-src &#39;none&#39;" in csp.group(1), path
        assert "<script" not in page.replace('<script type="application/ld+json">', ""), path
        head = re.search(r"chain head <code class=\"hash\">([0-9a-f]{64})</code>", page)
        assert head, f"{path} has no chain head in its footer"
        heads[path] = head.group(1)
        assert "How to verify" in page and f"storylog verify {SLUG}" in page
        assert 'name="viewport"' in page
    # A version's pages name the head that version was published on; the rest, the latest.
    assert heads["v/1.html"] == heads["diff/1.html"] != heads["index.html"]
    assert heads["index.html"] == heads["history.html"] == heads["v/4.html"]


def test_json_ld_is_a_live_blog_posting_with_its_updates(demo_files: dict[str, bytes]):
    doc = json_ld(demo_files["index.html"].decode())
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "LiveBlogPosting"
    assert doc["headline"] == "Battle for Pokrovsk: what we know"
    assert doc["inLanguage"] == "en"
    updates = doc["liveBlogUpdate"]
    assert len(updates) == 8 and {u["@type"] for u in updates} == {"BlogPosting"}
    assert all(u["datePublished"] and u["headline"] for u in updates)
    history = demo_files["history.html"].decode()
    latest = re.search(r'<li id="v4">.*?<time datetime="([^"]+)"', history, re.S)
    assert latest and doc["dateModified"] == latest.group(1)
    assert {c["@type"] for c in doc["correction"]} == {"CorrectionComment"}
    assert any("He said about 85%" in c["text"] for c in doc["correction"])
    corrected = next(u for u in updates if u["identifier"] == "roepcke-85")
    assert corrected["correction"][0]["@type"] == "CorrectionComment"
    withdrawn = next(u for u in updates if u["identifier"] == "station-claim")
    assert "articleBody" not in withdrawn and withdrawn["headline"].startswith("Withdrawn")
    assert doc["coverageStartTime"] == "2025-11-04T12:21:00+02:00"


def test_atom_feed_parses_and_lists_versions_and_public_notes(demo_files: dict[str, bytes]):
    feed = feedparser.parse(demo_files["feed.atom"])
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    titles = [e.title for e in feed.entries]
    assert sum(t.startswith("Version ") for t in titles) == 4
    assert any(t.startswith("Correction: update of 2025-11-04 12:21") for t in titles)
    assert any(t.startswith("Withdrawn: update of 2025-11-09 22:30") for t in titles)
    assert all(e.id.startswith("urn:uuid:") for e in feed.entries)
    assert len({e.id for e in feed.entries}) == len(feed.entries)
    updated = [e.updated for e in feed.entries]
    assert updated == sorted(updated, reverse=True)
    assert feed.feed.updated == updated[0]


def test_no_editor_or_reason_of_the_sample_reaches_the_site(demo_files: dict[str, bytes]):
    text = b"\n".join(demo_files.values()).decode()
    for internal in ("Olena Petrenko", "Marc Weber", "Ines Duarte", "misread Röpcke",
                     "typo: encirlcement", "geolocated by the desk"):
        assert internal not in text


def test_the_newsroom_may_opt_in_to_naming_editors(demo_db: str):
    from storylog.app.service import StoryApp
    from storylog.projections.queries import Views
    from storylog.site import SiteOptions, render_site

    app = StoryApp(demo_db)
    try:
        files = render_site(Views(app), SLUG, SiteOptions(show_editors=True))
    finally:
        app.close()
    assert "by <bdi>Olena Petrenko</bdi>" in files["history.html"].decode()
    assert "by <bdi>Ines Duarte</bdi>" in files["index.html"].decode()  # who withdrew the update
    text = b"\n".join(files.values()).decode()
    assert "geolocated by the desk" not in text  # reasons stay internal all the same


def test_base_url_makes_feed_and_json_ld_addresses_absolute(demo_db: str):
    from storylog.app.service import StoryApp
    from storylog.errors import RefusedInput
    from storylog.projections.queries import Views
    from storylog.site import SiteOptions, render_site

    app = StoryApp(demo_db)
    try:
        files = render_site(Views(app), SLUG, SiteOptions(base_url="https://news.example/live",
                                                           publisher="Example News"))
    finally:
        app.close()
    doc = json_ld(files["index.html"].decode())
    assert doc["url"] == "https://news.example/live/index.html"
    assert doc["publisher"] == {"@type": "Organization", "name": "Example News"}
    feed = feedparser.parse(files["feed.atom"])
    assert not feed.bozo
    assert feed.entries[0].link.startswith("https://news.example/live/")
    with pytest.raises(RefusedInput):
        SiteOptions(base_url="javascript:alert(1)")


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "\tjavascript:x",
    "java\nscript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    "//evil.example/x", "/relative", "https:alert(1)", "ftp://example.com/",
    'https://example.com/"onmouseover="alert(1)', "https://example.com/<script>",
    "https://exa mple.com/", "", None, 42, "https://", "http://\x00x.example/",
    "https://example.com/\u0085", "file:///etc/passwd",
])
def test_only_http_and_https_links_are_emitted(url: Any):
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["https://deepstatemap.live/", "http://example.com/a?b=c#d",
                                 "HTTPS://EXAMPLE.COM/", "https://en.wikipedia.org/wiki/O'Brien"])
def test_ordinary_links_pass(url: str):
    assert safe_url(url) == url


def test_json_for_a_script_element_cannot_close_it():
    text = str(json_script({"a": "</script><script>alert(1)</script><!--", "b": "&\u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script><!--", "b": "&\u2028"}


def test_text_loses_what_xml_forbids():
    assert xml_clean("a\x0bb\ufffec\U0001F600\n") == "ab c\U0001F600\n".replace(" ", "")


@pytest.mark.parametrize("key", ["julian ropcke", "~генштаб", "~دولة", "x" * 300,
                                 "s 0123456789ab", "~a/../b"])
def test_source_file_names_are_url_safe(key: str):
    name = file_name(key)
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) and len(name) <= 80
    assert file_name(key) == name


def test_language_and_direction_come_from_the_story(tmp_path: Path):
    from storylog.app.commands import add_update, publish
    from storylog.app.service import StoryApp
    from storylog.domain.payloads import StoryOpenedPayload
    from storylog.projections.queries import Views
    from storylog.site import render_site

    app = StoryApp(str(tmp_path / "lang.db"))
    try:
        for slug, lang in (("kyiv", "uk"), ("beirut", "ar")):
            app.open_story(StoryOpenedPayload(slug=slug, headline="Заголовок", lang=lang,
                                              tz="Europe/Kyiv"), editor="e")
            add_update(app, slug, body="Текст оновлення.", stamp="2025-11-04 12:00",
                       sources=[{"name": "Генштаб ЗСУ", "kind": "official"},
                                {"name": "Укрінформ", "kind": "outlet"}], editor="e")
            publish(app, slug, editor="e")
        views = Views(app)
        uk = render_site(views, "kyiv")
        ar = render_site(views, "beirut")
    finally:
        app.close()
    index = uk["index.html"].decode()
    assert '<html lang="uk" dir="ltr">' in index
    assert '<header class="site-header" lang="en">' in index  # the site's own words
    assert '<html lang="ar" dir="rtl">' in ar["index.html"].decode()
    # Two non-Latin sources get two pages (their source_key alone would be empty).
    sources = [p for p in uk if p.startswith("sources/") and p != "sources/index.html"]
    assert len(sources) == 2
    assert "Генштаб ЗСУ" in b"".join(uk[p] for p in sources).decode()


def test_html_escaping_of_editor_text(tmp_path: Path):
    from storylog.app.commands import add_update, publish
    from storylog.app.service import StoryApp
    from storylog.domain.payloads import StoryOpenedPayload
    from storylog.projections.queries import Views
    from storylog.site import render_site

    evil = "<b>bold</b> & \"quotes\" 'apostrophes'"
    app = StoryApp(str(tmp_path / "esc.db"))
    try:
        app.open_story(StoryOpenedPayload(slug="s", headline=evil), editor="e")
        add_update(app, "s", body=evil, stamp="2025-11-04 12:00",
                   sources=[{"name": evil, "url": "https://example.com/?a=1&b=2"}], editor="e")
        publish(app, "s", editor="e", note=evil)
        files = render_site(Views(app), "s")
    finally:
        app.close()
    for path, data in files.items():
        if path.endswith(".html"):
            assert "<b>bold</b>" not in data.decode(), path
    index = files["index.html"].decode()
    assert str(escape(evil)) in index
    assert 'href="https://example.com/?a=1&amp;b=2"' in index
    assert not feedparser.parse(files["feed.atom"]).bozo
