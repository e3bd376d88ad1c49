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
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from storylog.importer.structured import Post, clean, parse_datetime, structured_posts

_SNIFF = re.compile(
    r"\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<!--|<meta\s|"
    r"<(?:article|div|main|section|p|script|title)[\s>])",
    re.I,
)
_CHROME_TAGS = "nav, footer, aside, form, style, noscript, iframe, svg, button, template, " \
    "[role=dialog], [role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true]"
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


def read_html(text: str, zone: ZoneInfo) -> HtmlPage:
    """Posts, headline and standfirst of an HTML page; stamps in ``zone``'s wall time."""
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


def _drop_chrome(tree: LexborHTMLParser) -> None:
    for script in tree.css("script"):
        script.decompose()
    for node in tree.css(_CHROME_TAGS):
        node.decompose()
    for node in tree.css("[class], [id]"):
        names = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if _CHROME_NAMES.search(names) and not _holds_time(node):
            node.decompose()
    for header in tree.css("header"):
        if not _holds_time(header):
            header.decompose()


def _holds_time(node: LexborNode) -> bool:
    return node.css_first("time[datetime]") is not None


# --- posts found by their <time datetime> ---------------------------------------------------


def _time_posts(tree: LexborHTMLParser, zone: ZoneInfo) -> list[Post]:
    times = tree.css("time[datetime]")
    posts: list[Post] = []
    seen: set[int] = set()
    for number, time in enumerate(times, 1):
        stamp = parse_datetime(time.attributes.get("datetime") or "", zone)
        if stamp is None:
            continue
        element = _post_of(time)
        if element.mem_id in seen:
            continue
        seen.add(element.mem_id)
        posts.append(_post(element, stamp, number, skip=time))
    return posts


def _post_of(time: LexborNode) -> LexborNode:
    """The largest element around ``time`` that holds no other dated time."""
    element = time
    parent = element.parent
    while parent is not None and parent.tag not in ("body", "html", "main") and len(
        parent.css("time[datetime]")
    ) == 1:
        element, parent = parent, parent.parent
    return element


def _post(element: LexborNode, stamp: str, number: int, skip: LexborNode | None) -> Post:
    title_node = element.css_first("h1, h2, h3, h4, h5, h6, [itemprop=headline]")
    byline_node = _byline_node(element)
    media = [m for figure in element.css("figure") if (m := _figure(figure))]
    for figure in element.css("figure"):
        figure.decompose()
    taken = {n.mem_id for n in (title_node, byline_node, skip) if n is not None}
    paragraphs = [
        text for node in _blocks(element)
        if node.mem_id not in taken and not _inside(node, taken)
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


def _blocks(element: LexborNode) -> Iterator[LexborNode]:
    """The text blocks of ``element`` that no other block holds, in document order."""
    chosen: set[int] = set()
    for node in element.css(_BLOCKS):
        if _inside(node, chosen):
            continue
        chosen.add(node.mem_id)
        if node.tag != "time":
            yield node


def _inside(node: LexborNode, ids: set[int]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


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
    ids = {h.mem_id for h in headings}
    found = []
    for heading in headings:
        element, parent = heading, heading.parent
        while parent is not None and parent.tag not in ("body", "html", "main") and sum(
            1 for h in parent.css("h1, h2, h3, h4, h5, h6") if h.mem_id in ids
        ) == 1:
            element, parent = parent, parent.parent
        post = _post(element, titles[clean(heading.text())].stamp, 0, skip=None)
        found.append(post)
    return found


# --- text ----------------------------------------------------------------------------


def _lines(tree: LexborHTMLParser) -> list[str]:
    root = tree.css_first("main") or tree.css_first("body") or tree.root
    if root is None:
        return []
    return [text for node in _blocks_with_time(root) if (text := clean(node.text(deep=True)))]


def _blocks_with_time(element: LexborNode) -> Iterator[LexborNode]:
    chosen: set[int] = set()
    for node in element.css(_BLOCKS):
        if not _inside(node, chosen):
            chosen.add(node.mem_id)
            yield node


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
