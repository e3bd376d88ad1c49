"""What may reach a public page: http(s) links only, JSON that cannot end a script
element, text that XML accepts, and file names that are safe in a URL."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import orjson
from markupsafe import Markup

_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\"<>\\`]")
# Characters XML 1.0 does not allow (the Char production), and the noncharacters.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FILE_NAME = re.compile(r"[^a-z0-9]+")


def safe_url(url: Any) -> str | None:
    """``url`` if it is an absolute http or https address with a host, else None.

    Anything that a browser could read as another scheme (``javascript:``,
    ``data:``, a scheme hidden behind whitespace or control characters) is refused,
    as are double quotes, angle brackets, backslashes and backticks, which no valid
    address holds unencoded.
    """
    if not isinstance(url, str) or not url or len(url) > 2000:
        return None
    if _URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if not url.lower().startswith(("http://", "https://")):
        return None
    return url


def json_script(value: Any) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` element: ``<``, ``>`` and ``&``
    are written as escapes, so no text in it can close the element or open a comment."""
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def xml_clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (so a feed always parses)."""
    return _NOT_XML.sub("", text)


def file_name(key: str, *, limit: int = 60) -> str:
    """A URL-safe, lower-case file name stem for ``key``, unique per key.

    Plain ASCII keys keep a readable name (``julian-ropcke``); any other key
    (non-Latin script, very long) gets an ASCII part and a short hash of the key.
    """
    ascii_part = unicodedata.normalize("NFKD", key.casefold()).encode("ascii", "ignore").decode()
    stem = _FILE_NAME.sub("-", ascii_part).strip("-")
    if stem and stem == key.replace(" ", "-") and len(stem) <= limit:
        return stem
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    stem = stem[:limit].strip("-")
    return f"{stem}-{digest}" if stem else f"s-{digest}"
