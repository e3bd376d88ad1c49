"""Colour on a terminal: ANSI SGR codes around a piece of text.

The command line decides whether colour is wanted (standard output is a terminal and
NO_COLOR is unset) and passes a plain ``color``; without it the text comes back as it is.
The codes, and their order, are the ones click wrote before the renderers stopped
importing it, so a coloured screen reads the same as it always did.
"""

from __future__ import annotations

ESC = "\x1b["
RESET = f"{ESC}0m"
FOREGROUND = {"red": 31, "green": 32, "yellow": 33, "cyan": 36}


def style(
    text: str, *, color: bool, fg: str | None = None, bold: bool | None = None,
    dim: bool | None = None, underline: bool | None = None,
    strikethrough: bool | None = None,
) -> str:
    """``text`` styled, then reset. An attribute left at None is not mentioned; False
    turns it off explicitly (an inserted word is not struck through, whatever came before)."""
    if not color:
        return text
    codes = [FOREGROUND[fg]] if fg is not None else []
    for value, on, off in ((bold, 1, 22), (dim, 2, 22), (underline, 4, 24),
                           (strikethrough, 9, 29)):
        if value is not None:
            codes.append(on if value else off)
    return "".join(f"{ESC}{code}m" for code in codes) + text + RESET
