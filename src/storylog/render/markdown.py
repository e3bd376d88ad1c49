"""Editor text made literal in Markdown.

A body, note or source name is the newsroom's text, not Markdown: written as it is, it
could fake storylog's own blocks (a "**Retracted:**" line), carry raw HTML, or a
`javascript:` link. CommonMark lets any ASCII punctuation be escaped with a backslash;
only the characters that can start markup are escaped, so the text stays readable raw.
"""

from __future__ import annotations

import re

# Inline markup: emphasis, code, links and images, raw HTML and entities, GFM's
# strikethrough and tables, and the backslash itself.
_INLINE = re.compile(r"([\\`*_\[\]<>&~|])")
# What makes a line a block: headings, quotes, lists (bullets and numbers), thematic
# breaks and setext underlines, fenced code; and leading spaces (indented code).
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d{1,9}[.)])")


def inline(text: str) -> str:
    """``text`` with every character that could start inline markup escaped."""
    return _INLINE.sub(r"\\\1", text)


def line(text: str) -> str:
    """One line of editor text, literal wherever it stands (also at a line's start)."""
    escaped = inline(text.strip())
    match = _BLOCK_START.match(escaped)
    if match:
        marker = match.group(2)
        escaped = escaped[: match.start(2)] + _escape_marker(marker) + escaped[match.end(2):]
    return escaped


def paragraphs(text: str) -> list[str]:
    """A body's paragraphs, each literal, for joining with blank lines between them."""
    return [line(p) for p in text.split("\n") if p.strip()]


def _escape_marker(marker: str) -> str:
    if marker[0].isdigit():
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


def url(address: str) -> str:
    """An http(s) address as an autolink (already checked to be http(s), no spaces)."""
    return f"<{address}>" if not re.search(r"[<>\s]", address) else inline(address)
