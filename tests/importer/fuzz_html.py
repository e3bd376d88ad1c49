"""Coverage-guided fuzzing (atheris 3.0.0) of the importer's HTML path:

    python tests/importer/fuzz_html.py [libFuzzer flags ...]

The input, decoded as UTF-8 with surrogateescape, is put behind a doctype (so that it is
read as HTML) and, half the time, inside a JSON-LD script, and given to parse_page. Only
storylog's own errors may escape; anything else is written to STORYLOG_FUZZ_CRASHES (one
line per distinct crash site, with the input) and fuzzing goes on.
"""

from __future__ import annotations

import base64
import contextlib
import os
import sys
import traceback

import atheris
import orjson

with atheris.instrument_imports(include=["storylog"]):
    from storylog.errors import StorylogError
    from storylog.importer import parse_page

SEEN: set[str] = set()


def target(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    wrap = fdp.ConsumeIntInRange(0, 2)
    text = fdp.ConsumeBytes(fdp.remaining_bytes()).decode("utf-8", "surrogateescape")
    if wrap == 1:
        text = f'<script type="application/ld+json">{text}</script>'
    elif wrap == 2:
        text = f'<article><time datetime="2025-01-01T10:00Z">x</time>{text}</article>'
    try:
        with contextlib.suppress(StorylogError):
            parse_page("<!DOCTYPE html>" + text, year=2025, tz="Europe/Kyiv")
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__)
                  if "/storylog/" in f.filename]
        signature = f"{type(error).__name__} in {frames[-1].name if frames else '?'}"
        if signature not in SEEN:
            SEEN.add(signature)
            with open(os.environ.get("STORYLOG_FUZZ_CRASHES", "fuzz-crashes.ndjson"), "ab") as out:
                out.write(orjson.dumps({"signature": signature, "error": repr(error)[:300],
                                        "input": base64.b64encode(data[:4000]).decode()}) + b"\n")


def main() -> None:
    atheris.Setup([sys.argv[0], *sys.argv[1:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
