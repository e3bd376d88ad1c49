"""The import corpus (tests/importer/corpus/): live pages written for the purpose, each with
its expected updates, and how an import of them is scored.

Each page ``NAME.txt`` or ``NAME.html`` has ``NAME.expected.json``: the options to import it
with (``tz``, and ``year``, ``date``, ``day_first`` where the page needs them), and its updates
newest first: the stamp in UTC, the title, the byline and the sources (name, and ``via`` for
a source speaking through an outlet).

A page is imported *exactly* when the update count, every stamp, title and byline match.
Sources are scored apart, as recall and precision over (name, via) pairs, compared by the
importer's name key with a leading "the" dropped. A third of the pages (by the SHA-256 of the
page's name) is held out: develop against the rest, and report the held-out third apart.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storylog.errors import StorylogError
from storylog.importer import ParsedPage, parse_page
from storylog.importer.text import key

CORPUS = Path(__file__).resolve().parent / "corpus"
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class CorpusPage:
    name: str
    path: Path
    expected: dict[str, Any]

    @property
    def held_out(self) -> bool:
        return hashlib.sha256(self.name.encode()).digest()[0] % 3 == 0

    def parse(self) -> ParsedPage:
        options = self.expected["options"]
        return parse_page(
            self.path.read_text(encoding="utf-8"), tz=options["tz"], year=options.get("year"),
            day_first=options.get("day_first"),
            today=date.fromisoformat(options["date"]) if options.get("date") else None,
        )


def pages(split: str = "all") -> list[CorpusPage]:
    """The corpus's pages: "dev", "held-out" or "all"."""
    found = []
    for expected in sorted(CORPUS.glob("*.expected.json")):
        name = expected.name.removesuffix(".expected.json")
        [path] = [p for p in CORPUS.glob(f"{name}.*") if p != expected]
        page = CorpusPage(name, path, json.loads(expected.read_text(encoding="utf-8")))
        if split == "all" or (split == "held-out") == page.held_out:
            found.append(page)
    return found


def _utc(stamp: str, tz: str) -> str:
    local = datetime.fromisoformat(stamp).replace(tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _source_key(source: dict[str, str]) -> tuple[str, str]:
    def name(text: str) -> str:
        folded = key(text)
        return folded.removeprefix("the ")
    return name(source["name"]), name(source.get("via") or "")


@dataclass
class Score:
    """What one page's import got right."""

    name: str
    exact: bool = False
    error: str | None = None
    mismatches: list[str] = field(default_factory=list)
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0


def score(page: CorpusPage) -> Score:
    result = Score(page.name)
    expected = page.expected["updates"]
    try:
        parsed = page.parse()
    except StorylogError as error:
        result.error = str(error)
        result.false_negatives = sum(len(u["sources"]) for u in expected)
        return result
    tz = page.expected["options"]["tz"]
    got = [{"stamp_utc": _utc(u.stamp, tz), "title": u.title, "byline": u.byline,
            "sources": u.sources} for u in parsed.updates]
    if len(got) != len(expected):
        result.mismatches.append(f"{len(got)} updates, expected {len(expected)}")
    for index, (want, have) in enumerate(zip(expected, got, strict=False)):
        for field_name in ("stamp_utc", "title", "byline"):
            if want[field_name] != have[field_name]:
                result.mismatches.append(
                    f"update {index}: {field_name} {have[field_name]!r}, "
                    f"expected {want[field_name]!r}")
    for index in range(max(len(expected), len(got))):
        want_keys = {_source_key(s) for s in expected[index]["sources"]} \
            if index < len(expected) else set()
        have_keys = {_source_key(s) for s in got[index]["sources"]} if index < len(got) else set()
        result.true_positives += len(want_keys & have_keys)
        result.false_positives += len(have_keys - want_keys)
        result.false_negatives += len(want_keys - have_keys)
        if want_keys != have_keys:
            result.mismatches.append(
                f"update {index}: sources missing {sorted(want_keys - have_keys)}, "
                f"extra {sorted(have_keys - want_keys)}")
    result.exact = not any("sources" not in m for m in result.mismatches)
    return result


@dataclass
class Totals:
    pages: int
    exact: int
    recall: float
    precision: float


def totals(scores: list[Score]) -> Totals:
    tp = sum(s.true_positives for s in scores)
    fp = sum(s.false_positives for s in scores)
    fn = sum(s.false_negatives for s in scores)
    return Totals(len(scores), sum(s.exact for s in scores),
                  tp / (tp + fn) if tp + fn else 1.0, tp / (tp + fp) if tp + fp else 1.0)
