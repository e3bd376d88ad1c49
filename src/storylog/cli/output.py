"""The one way the command line writes: data to stdout in the format asked for,
messages to stderr.

A read command hands its data, the chosen format and its renderers to `emit`. JSON is
the data itself (through orjson); every other format is a renderer's text. Renderers
get the data with every string made safe for a terminal (controls made visible,
direction controls isolated), so nothing a source wrote can drive the reader's
terminal; a `Document` renderer (CSV, a patch, a line that must stay whole) is given
the raw data and its text is made safe as a whole instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import click

from storylog.render.terminal import safe_data, safe_text

Renderer = Callable[[Any], str]


class Document:
    """A renderer whose whole output is made safe after rendering, not its data before:
    for formats whose structure escaping each string would change."""

    def __init__(self, render: Renderer):
        self.render = render

    def __call__(self, data: Any) -> str:
        return safe_text(self.render(data))


def emit(data: Any, fmt: str, renderers: Mapping[str, Renderer | Document]) -> None:
    """Write ``data`` to stdout as ``fmt``: ``json``, or any format ``renderers`` names."""
    if fmt == "json":
        echo_json(data)
        return
    render = renderers[fmt]
    text = render(data) if isinstance(render, Document) else render(safe_data(data))
    click.echo(text, nl=False)


def chosen(fmt: str, as_json: bool, as_csv: bool = False) -> str:
    """The format a command was asked for: ``--json`` (and ``--csv``) win over ``--format``."""
    return "json" if as_json else "csv" if as_csv else fmt


def nothing(data: Any) -> str:
    """The text rendering of a command whose person-facing report goes to stderr."""
    return ""


def color_wanted() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def echo_json(value: Any) -> None:
    import orjson

    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """A message for the person, on stderr, so stdout stays data (controls made visible)."""
    click.echo(safe_text(message), err=True)
