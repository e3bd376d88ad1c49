"""What a live page says about itself: schema.org ``LiveBlogPosting`` and its
``liveBlogUpdate`` items, as JSON-LD (``<script type="application/ld+json">``, also inside
``@graph`` or a list) or as microdata (``itemscope`` / ``itemprop``).

Each update gives its time (``datePublished``, else ``dateModified``: the moment the post
went up, with its offset), ``headline``, ``articleBody`` and ``author`` (a Person or a list
of them, or a plain name). Malformed JSON, an update without a readable time, and nesting
past a sane depth are skipped with a warning, never guessed at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from storylog.importer.htmltree import outermost

MAX_DEPTH = 32
MAX_UPDATES = 20_000
MAX_BLOGS = 5
_SPACE = re.compile(r"\s+")


@dataclass
class Post:
    """One update as the HTML or its structured data gives it; ``stamp`` is wall time in
    the story's zone ("2025-11-04 12:21"), ``number`` its place on the page (from 1)."""

    stamp: str
    number: int
    title: str | None = None
    byline: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    media: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Structured:
    posts: list[Post] = field(default_factory=list)
    headline: str | None = None
    description: str | None = None
    warnings: list[str] = field(default_factory=list)


def structured_posts(tree: LexborHTMLParser, zone: ZoneInfo) -> Structured:
    """The page's LiveBlogPosting updates, JSON-LD first, then microdata."""
    found = Structured()
    for blog in _json_ld_blogs(tree, found.warnings):
        found.headline = found.headline or _text(blog.get("headline"))
        found.description = found.description or _text(blog.get("description"))
        updates = blog.get("liveBlogUpdate")
        items = updates if isinstance(updates, list) else [updates]
        for item in items[:MAX_UPDATES]:
            if isinstance(item, dict):
                _json_post(item, zone, found)
    if not found.posts:
        _microdata(tree, zone, found)
    found.headline = clean(found.headline) or None
    found.description = clean(found.description) or None
    return found


def _json_ld_blogs(tree: LexborHTMLParser, warnings: list[str]) -> list[dict[str, Any]]:
    blogs: list[dict[str, Any]] = []
    for number, script in enumerate(tree.css("script[type]"), 1):
        if (script.attributes.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text() or "")
        except (ValueError, RecursionError):
            warnings.append(f"JSON-LD block {number} is not valid JSON; it was skipped")
            continue
        blogs.extend(_blogs_in(data))
    return blogs


def _blogs_in(data: Any) -> list[dict[str, Any]]:
    """Every object typed LiveBlogPosting, however deep (up to MAX_DEPTH), iteratively."""
    out: list[dict[str, Any]] = []
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(value, list):
            stack.extend((v, depth + 1) for v in reversed(value))
        elif isinstance(value, dict):
            if "LiveBlogPosting" in _types(value.get("@type")):
                out.append(value)
            else:
                stack.extend((v, depth + 1) for v in reversed(list(value.values()))
                             if isinstance(v, (list, dict)))
    return out


def _types(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)]


def _json_post(item: dict[str, Any], zone: ZoneInfo, found: Structured) -> None:
    number = len(found.posts) + 1
    when = _text(item.get("datePublished")) or _text(item.get("dateModified"))
    stamp = parse_datetime(when, zone) if when else None
    if stamp is None:
        found.warnings.append(
            f"liveBlogUpdate {number} has no readable datePublished ({when[:40]!r}); "
            "it was skipped")
        return
    body = _text(item.get("articleBody")) or _text(item.get("text"))
    paragraphs = [clean(p) for p in re.split(r"\n\s*\n|\n", body) if clean(p)]
    found.posts.append(Post(
        stamp=stamp, number=number, title=clean(_text(item.get("headline"))) or None,
        byline=_authors(item.get("author")), paragraphs=paragraphs,
    ))


def _authors(value: Any) -> str | None:
    values = value if isinstance(value, list) else [value]
    names = []
    for author in values[:20]:
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and clean(name):
            names.append(clean(name))
    return " and ".join(names) or None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return ""


# --- microdata ----------------------------------------------------------------------


def _microdata(tree: LexborHTMLParser, zone: ZoneInfo, found: Structured) -> None:
    blogs = [blog for blog in tree.css("[itemscope][itemtype]")
             if "LiveBlogPosting" in _types((blog.attributes.get("itemtype") or "").split())]
    for blog in list(outermost(blogs))[:MAX_BLOGS]:
        found.headline = found.headline or _prop_text(blog, "headline")
        found.description = found.description or _prop_text(blog, "description")
        items = outermost(blog.css("[itemprop~=liveBlogUpdate]"), blog)
        for _, item in zip(range(MAX_UPDATES), items, strict=False):
            _micro_post(item, zone, found)
        if found.posts:
            return


def _micro_post(item: LexborNode, zone: ZoneInfo, found: Structured) -> None:
    number = len(found.posts) + 1
    when_node = item.css_first("[itemprop~=datePublished]") or \
        item.css_first("[itemprop~=dateModified]")
    when = ""
    if when_node is not None:
        when = when_node.attributes.get("content") or when_node.attributes.get("datetime") \
            or when_node.text() or ""
    stamp = parse_datetime(when, zone)
    if stamp is None:
        found.warnings.append(
            f"liveBlogUpdate {number} has no readable datePublished ({when[:40]!r}); "
            "it was skipped")
        return
    body = item.css_first("[itemprop~=articleBody]")
    paragraphs: list[str] = []
    if body is not None:
        blocks = body.css("p, li, blockquote")
        paragraphs = [t for b in blocks if (t := clean(b.text()))] or [clean(body.text())]
    authors = item.css("[itemprop~=author]")
    names = []
    for author in authors:
        name = author.css_first("[itemprop~=name]")
        text = clean((name or author).attributes.get("content") or (name or author).text())
        if text:
            names.append(re.sub(r"^(?:by)\s+", "", text, flags=re.I))
    found.posts.append(Post(
        stamp=stamp, number=number, title=_prop_text(item, "headline"),
        byline=" and ".join(names) or None, paragraphs=[p for p in paragraphs if p],
    ))


def _prop_text(scope: LexborNode, name: str) -> str | None:
    node = scope.css_first(f"[itemprop~={name}]")
    if node is None:
        return None
    return clean(node.attributes.get("content") or node.text()) or None


def clean(text: str | None) -> str:
    """Text as a reader sees it: whitespace runs as one space, no controls."""
    if not text:
        return ""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text.replace("\u00a0", " "))
    return _SPACE.sub(" ", text).strip()


_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?\s*$"
)


def parse_datetime(text: str, zone: ZoneInfo) -> str | None:
    """An ISO 8601 moment ("2025-11-04T12:21:00+02:00") as ``zone``'s wall time
    ("2025-11-04 12:21"); a time without an offset is taken to be in ``zone``; a date alone,
    or anything else, is None."""
    found = _ISO.match(text)
    if found is None or found.group(4) is None:
        return None
    year, month, day, hour, minute = (int(found.group(i)) for i in range(1, 6))
    try:
        when = datetime(year, month, day, hour, minute)
    except ValueError:
        return None
    if not 1900 <= year <= 2200:
        return None
    offset = found.group(7)
    if offset:
        try:
            aware = datetime.fromisoformat(
                f"{when:%Y-%m-%dT%H:%M}{'+00:00' if offset == 'Z' else offset}")
            when = aware.astimezone(zone).replace(tzinfo=None)
        except (ValueError, OverflowError):
            return None
    return f"{when:%Y-%m-%d %H:%M}"

