"""Coverage-guided fuzzing (atheris 3.0.0) of the two parsers that read files from outside:

    python tests/proof/fuzz_targets.py importer [libFuzzer flags ...]
    python tests/proof/fuzz_targets.py loader [libFuzzer flags ...]

- importer: storylog.importer.parse_page(text, year=..., tz=..., day_first=...);
- loader: storylog.store.transfer.parse_lines, then rows_of and keys_of (what
  `storylog load` runs before it writes anything).

Only storylog's own errors (storylog.errors.StorylogError) may escape them; anything
else is a crash. So that one crash does not end the run, each distinct one (its type and
the innermost storylog function it came from) is appended to the file named by
STORYLOG_FUZZ_CRASHES, with the input that caused it, and fuzzing goes on.
The input bytes are decoded as UTF-8 with surrogateescape (as Python decodes argv and
file names), so malformed UTF-8 arrives as lone surrogates, and read as a page; the
loader gets the raw bytes, split into lines, as `storylog load` reads a file.
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
    from storylog.store.transfer import keys_of, parse_lines, rows_of

ZONES = ["UTC", "Europe/Kyiv", "America/St_Johns", "Asia/Kathmandu", "Mars/Olympus", "",
         "../../etc/passwd", "Europe/Kyiv\x00"]


SEEN: set[str] = set()


def crashed(error: BaseException, data: bytes) -> None:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/storylog/" in f.filename]
    where = frames[-1].name if frames else "?"
    signature = f"{type(error).__name__} in {where}"
    if signature in SEEN:
        return
    SEEN.add(signature)
    with open(os.environ.get("STORYLOG_FUZZ_CRASHES", "fuzz-crashes.ndjson"), "ab") as out:
        place = f"{frames[-1].filename.rsplit('/src/', 1)[-1]}:{frames[-1].lineno}" \
            if frames else "?"
        out.write(orjson.dumps({"signature": signature, "error": f"{error!r} at {place}"[:300],
                                "input": base64.b64encode(data[:4000]).decode()}) + b"\n")


def guarded(target: object) -> object:
    def run(data: bytes) -> None:
        try:
            target(data)  # type: ignore[operator]
        except Exception as error:  # StorylogError is caught inside the targets
            crashed(error, data)

    return run


def importer(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    year = fdp.PickValueInList([None, 2025, 1900, 2200, 1899, 2201, 0, -1, 10**12])
    tz = fdp.PickValueInList(ZONES)
    day_first = fdp.PickValueInList([None, True, False])
    raw = fdp.ConsumeBytes(fdp.remaining_bytes())
    text = raw.decode("utf-8", "surrogateescape")
    with contextlib.suppress(StorylogError):
        parse_page(text, year=year, tz=tz, day_first=day_first)


def loader(data: bytes) -> None:
    try:
        lines = parse_lines(data.splitlines(keepends=True))
        rows_of(lines)
        keys_of(lines)
    except StorylogError:
        pass


def main() -> None:
    target = {"importer": importer, "loader": loader}[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], guarded(target))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
