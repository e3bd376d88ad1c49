"""Untrusted text made safe to print on a terminal.

Editors' text is checked on the way in, but rows stored before a rule existed, and
text from other stores, can still hold controls: printed raw, an ESC or a C1 control
(U+0080-U+009F) moves the cursor, recolours the screen or sets the window title, and a
bare CR overwrites the line it is on. Such characters are shown as visible escapes
(``\\x1b``). A line holding direction controls is wrapped in a first-strong isolate
(U+2068 ... U+2069), so an override inside it cannot reverse storylog's own text after it.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
FSI, PDI = "\u2068", "\u2069"


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def safe_text(text: str) -> str:
    """``text`` with controls made visible and direction controls isolated per line."""
    text = _UNSAFE.sub(_escape, text)
    if not _BIDI.search(text):
        return text
    return "\n".join(f"{FSI}{line}{PDI}" if _BIDI.search(line) else line
                     for line in text.split("\n"))


def safe_data(value: Any) -> Any:
    """Every string in a view (dicts, lists, tuples) made safe; other values as they are."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {key: safe_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [safe_data(item) for item in value]
    return value


def counted(number: int, word: str, plural: str | None = None) -> str:
    """``1 update``, ``2 updates``: a count with its noun in the right number."""
    return f"{number} {word if number == 1 else plural or word + 's'}"
