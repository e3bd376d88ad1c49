"""Read a saved live-blog page's HTML into the same ParsedPage as a text page.

Parsed with selectolax (the Lexbor engine: the HTML5 parsing algorithm browsers use, in C,
so a 20 MB page with broken markup parses in well under a second, in bounded memory).

What the page says about itself comes first: schema.org ``LiveBlogPosting`` with its
``liveBlogUpdate`` items, as JSON-LD or microdata, gives exact zoned times, titles, bodies
and authors (see ``storylog.importer.structured``). The HTML fills in what it lacks: bylines,
figures. Without structured data, posts are found in the HTML itself: each ``<time>`` with a
``datetime`` stands in one post, the largest element around it that holds no other such time
(an ``<article>``, a repeated ``<div>`` or ``<li>``); the post's heading is its title, an
element marked byline/author its byline, its paragraphs the body, its figures pictures (a
caption and a credit). Without either, the page's blocks are read as the lines of a text page.

Site chrome never becomes text: navigation, site headers and footers, cookie banners, ads,
newsletter boxes, related and most-read links, forms and scripts are dropped first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from storylog.importer.errors import ImportRefused
from storylog.importer.htmltree import Outermost, ancestors_of, enclosing, holders, outermost
from storylog.importer.structured import Post, clean, parse_datetime, structured_posts

_SNIFF = re.compile(
    r"\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<!--|<meta\s|"
    r"<(?:article|div|main|section|p|script|title)[\s>])",
    re.I,
)
_CHROME_NAMES = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|advert\w*|ads?|ad-slot|newsletter|related|"
    r"most-read|promo|share|sharing|social|subscribe|signup|paywall|menu|breadcrumbs?|"
    r"comments?|read-more|outbrain|taboola|masthead|site-header|site-footer)(?:$|[\s_-])",
    re.I,
)
_BYLINE_MARK = re.compile(r"byline|author|(?:^|[\s_-])by(?:$|[\s_-])|writer|contributor", re.I)
_CREDIT_MARK = re.compile(r"credit|copyright|source|photographer", re.I)
_BY = re.compile(r"^\s*(?:by|von|par|por|від|автор)\s*:?\s+", re.I)
_CREDIT_TEXT = re.compile(
    r"\s*\(?(?:photo(?:graph)?|image|picture|credit|foto)s?\s*:\s*(?P<credit>[^()]{1,80}?)\)?"
    r"\s*$|\s*©\s*(?P<credit2>[^()]{1,80}?)\s*$",
    re.I,
)
_BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, blockquote, figcaption, time, dt, dd, address, pre"


def looks_like_html(text: str) -> bool:
    """Whether a page is HTML, by its content: it opens with a doctype, a comment or a tag."""
    return bool(_SNIFF.match(text[:4096].lstrip("\ufeff")))


@dataclass
class HtmlPage:
    """What the HTML gave: structured posts (or None), the page's headline and standfirst, and
    lines to read as a text page when it has no posts of its own."""

    posts: list[Post] | None
    headline: str | None
    standfirst: str
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


MAX_DEPTH = 1_000
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]{0,30})(?=[\s/>])[^<>]*?(/?)>")
# Elements that hold no content, or whose end the parser implies (so an unclosed one does
# not nest): they do not count towards depth.
_FLAT = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "p", "li", "dt", "dd", "option", "tr", "td", "th", "tbody", "thead",
    "tfoot", "colgroup", "rt", "rp", "optgroup", "caption", "script", "style"})


def check_depth(text: str) -> None:
    """Refuse a page that nests elements deeper than MAX_DEPTH: no live page does, and the
    HTML5 tree builder's work grows with the depth for every element it adds."""
    depth = 0
    for tag in _TAG.finditer(text):
        name = tag.group(2).lower()
        if name in _FLAT or tag.group(3):
            continue
        depth = max(depth - 1, 0) if tag.group(1) else depth + 1
        if depth > MAX_DEPTH:
            raise ImportRefused(
                f"the page nests elements more than {MAX_DEPTH:,} deep (at character "
                f"{tag.start()}); save the live page again, or import its text")


def read_html(text: str, zone: ZoneInfo) -> HtmlPage:
    """Posts, headline and standfirst of an HTML page; stamps in ``zone``'s wall time."""
    check_depth(text)
    tree = LexborHTMLParser(text)
    found = structured_posts(tree, zone)
    _drop_chrome(tree)
    html_posts = _time_posts(tree, zone)
    headline = found.headline or _first_text(tree, "h1")
    standfirst = found.description or _standfirst(tree)
    if found.posts:
        _complete(found.posts, html_posts or _titled_posts(tree, found.posts))
        return HtmlPage(found.posts, headline, standfirst, warnings=found.warnings)
    if html_posts:
        return HtmlPage(html_posts, headline, standfirst, warnings=found.warnings)
    return HtmlPage(None, headline, standfirst, _lines(tree), found.warnings)


# --- chrome ----------------------------------------------------------------------------

_CHROME_TAG_NAMES = frozenset({
    "script", "nav", "footer", "aside", "form", "style", "noscript", "iframe", "svg", "button",
    "template"})
_CHROME_ROLES = frozenset({"dialog", "navigation", "banner", "contentinfo"})
_CANDIDATES = "script, nav, footer, aside, form, style, noscript, iframe, svg, button, " \
    "template, header, [role], [aria-hidden], [class], [id]"


def _drop_chrome(tree: LexborHTMLParser) -> None:
    dated = ancestors_of(tree.css("time[datetime]"))
    marks = Outermost()
    chrome = []
    root = tree.root.mem_id if tree.root is not None else None
    for node in tree.css(_CANDIDATES):
        if node.mem_id == root:
            continue  # the page itself marked as chrome: its parts are judged one by one
        if not marks.inside(node) and _is_chrome(node, dated) and marks.take(node):
            chrome.append(node)
    for node in chrome:
        node.decompose()


def _is_chrome(node: LexborNode, dated: set[int]) -> bool:
    if node.tag in _CHROME_TAG_NAMES:
        return True
    attributes = node.attributes
    if attributes.get("role") in _CHROME_ROLES or attributes.get("aria-hidden") == "true":
        return True
    if node.mem_id in dated:
        return False  # it holds a post's time: a post, or the list of posts
    if node.tag == "header":
        return True
    names = f"{attributes.get('class') or ''} {attributes.get('id') or ''}"
    return bool(_CHROME_NAMES.search(names))


# --- posts found by their <time datetime> ---------------------------------------------------


def _time_posts(tree: LexborHTMLParser, zone: ZoneInfo) -> list[Post]:
    times = tree.css("time[datetime]")
    shared = holders(times)
    posts: list[Post] = []
    marks = Outermost()  # posts never overlap: a post inside another (broken markup) is its text
    for number, time in enumerate(times, 1):
        stamp = parse_datetime(time.attributes.get("datetime") or "", zone)
        if stamp is None:
            continue
        element = enclosing(time, shared)
        if marks.take(element):
            posts.append(_post(element, stamp, number, skip=time))
    return posts


def _post(element: LexborNode, stamp: str, number: int, skip: LexborNode | None) -> Post:
    title_node = element.css_first("h1, h2, h3, h4, h5, h6, [itemprop=headline]")
    byline_node = _byline_node(element)
    figures = list(outermost(element.css("figure"), element))
    media = [m for figure in figures if (m := _figure(figure))]
    for figure in figures:
        figure.decompose()
    marks = Outermost(element)
    for node in (title_node, byline_node, skip):
        if node is not None:
            marks.take(node)
    paragraphs = [
        text for node in outermost(element.css(_BLOCKS), element)
        if node.tag != "time" and node.mem_id not in marks.taken and not marks.inside(node)
        and (text := clean(node.text(deep=True)))
    ]
    return Post(
        stamp=stamp, number=number, title=clean(title_node.text()) if title_node else None,
        byline=_byline_text(byline_node), paragraphs=paragraphs, media=media,
        links=_links(element),
    )


def _byline_node(element: LexborNode) -> LexborNode | None:
    for node in element.css("[class], [rel=author], [itemprop=author], address"):
        if node.tag == "address" or node.attributes.get("rel") == "author" \
                or node.attributes.get("itemprop") == "author" \
                or _BYLINE_MARK.search(node.attributes.get("class") or ""):
            return _outermost_byline(node, element)
    return None


def _outermost_byline(node: LexborNode, post: LexborNode) -> LexborNode:
    """"<p class=by>By <a rel=author>X</a></p>": the paragraph, not just the link."""
    parent = node.parent
    if parent is not None and parent.mem_id != post.mem_id and parent.tag in ("p", "div", "span")\
            and _BY.match(clean(parent.text())):
        return parent
    return node


def _byline_text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    names = node.css("[itemprop=name]")
    text = " and ".join(clean(n.text()) for n in names) if names else clean(node.text())
    return _BY.sub("", text).strip() or None


def _figure(figure: LexborNode) -> dict[str, str] | None:
    caption_node = figure.css_first("figcaption")
    if caption_node is None:
        return None
    credit_node = next((n for n in caption_node.css("cite, small, [class]")
                        if n.tag in ("cite", "small")
                        or _CREDIT_MARK.search(n.attributes.get("class") or "")), None)
    credit = clean(credit_node.text()) if credit_node else ""
    if credit_node is not None:
        credit_node.decompose()
    caption = clean(caption_node.text())
    inline = _CREDIT_TEXT.search(caption)
    if inline and not credit:
        credit = inline.group("credit") or inline.group("credit2") or ""
        caption = caption[:inline.start()].strip()
    credit = re.sub(r"^(?:photo(?:graph)?|image|picture|credit|foto)s?\s*:\s*", "", credit,
                    flags=re.I).strip()
    media = {"type": "picture", "caption": caption, "credit": credit}
    image = figure.css_first("img")
    src = image.attributes.get("src") if image is not None else None
    if src and re.match(r"^https?://\S+$", src):
        media["url"] = src
    return {k: v for k, v in media.items() if v} if caption or media.get("url") else None


def _links(element: LexborNode) -> list[dict[str, str]]:
    out = []
    for anchor in element.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        label = clean(anchor.text())
        if re.match(r"^https?://[^\s<>\"]+$", href) and label and len(label) <= 200 \
                and anchor.attributes.get("rel") != "author":
            out.append({"type": "link", "url": href, "label": label})
    return out


def _complete(posts: list[Post], html_posts: list[Post]) -> None:
    """Fill in what the structured data lacks from the HTML post with the same stamp or
    title (or, when the page has as many of each, the same place)."""
    same_count = len(posts) == len(html_posts)
    for index, post in enumerate(posts):
        match = next((h for h in html_posts if post.title and h.title == post.title), None) \
            or next((h for h in html_posts if h.stamp == post.stamp), None) \
            or (html_posts[index] if same_count else None)
        if match is None:
            continue
        post.byline = post.byline or match.byline
        post.media = post.media or match.media
        post.paragraphs = post.paragraphs or match.paragraphs


def _titled_posts(tree: LexborHTMLParser, posts: list[Post]) -> list[Post]:
    """The HTML blocks of structured posts found by their titles, when the HTML has no dated
    times: the largest element around the title's heading that holds no other title."""
    titles = {post.title: post for post in posts if post.title}
    headings = [h for h in tree.css("h1, h2, h3, h4, h5, h6") if clean(h.text()) in titles]
    shared = holders(headings)
    marks = Outermost()
    return [_post(element, titles[clean(heading.text())].stamp, 0, skip=None)
            for heading in headings if marks.take(element := enclosing(heading, shared))]


# --- text ----------------------------------------------------------------------------


def _lines(tree: LexborHTMLParser) -> list[str]:
    root = tree.css_first("main") or tree.css_first("body") or tree.root
    if root is None:
        return []
    blocks = outermost(root.css(_BLOCKS), root)
    return [text for node in blocks if (text := clean(node.text(deep=True)))]


def _first_text(tree: LexborHTMLParser, selector: str) -> str | None:
    node = tree.css_first(selector)
    text = clean(node.text()) if node is not None else ""
    return text or None


def _standfirst(tree: LexborHTMLParser) -> str:
    for selector in (".standfirst", ".intro", ".summary", ".dek", "[itemprop=description]"):
        text = _first_text(tree, selector)
        if text:
            return text
    meta = tree.css_first("meta[name=description], meta[property='og:description']")
    return clean(meta.attributes.get("content") or "") if meta is not None else ""
