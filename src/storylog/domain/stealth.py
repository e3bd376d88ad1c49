"""Stealth edits: a "copy edit" that changes facts.

A copy edit may fix spelling and style; it must not change numbers, names,
places, dates, negation, quotations, attribution or the sources cited. This
module compares the text before and after and names every such change, so that
the policy (in ``Story.edit_update``) can refuse it on a published update.
Spelling fixes of ordinary words ("encirlcement" to "encirclement") pass.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from storylog.domain.values import Source

NUMBER = re.compile(r"\d+(?:[.,:]\d+)*\s*(?:%|percent|per cent)?", re.I)
MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|monday|tuesday|"
          r"wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow|"
          r"morning|evening|night|noon|midnight")
DATE_WORD = re.compile(rf"\b(?:{MONTHS})\b", re.I)
NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|deny|denies|denied|"
    r"denying|refuted?|rejected?|false|n't|cannot)\b|n't\b", re.I)
ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|tells|reported|reports|according|quoted|wrote|writes|claims?|"
    r"claimed|confirmed|confirms|alleged(?:ly)?|stated|announced|noted|notes|insisted|"
    r"denied|admitted)\b", re.I)
QUOTE = re.compile(r"[“\"«„]([^”\"»“]+)[”\"»“]")
CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w’'-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w’'-]*)*")
SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)$")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _bag(pattern: re.Pattern[str], text: str) -> Counter[str]:
    return Counter(m.group(0).strip().lower() for m in pattern.finditer(text))


def _names(text: str) -> Counter[str]:
    """Capitalised words and phrases, except a lone word opening a sentence."""
    found: Counter[str] = Counter()
    for m in CAPITALISED.finditer(text):
        phrase = m.group(0)
        # Only the few characters before the word decide (a rescan would be quadratic).
        at_start = bool(SENTENCE_START.search(text[max(0, m.start() - 3): m.start()])) \
            or m.start() == 0
        if at_start and " " not in phrase:
            continue
        if at_start:
            phrase = phrase.split(" ", 1)[1]
        found[phrase] += 1
    return found


def _changed(label: str, old: Counter[str], new: Counter[str]) -> str | None:
    if old == new:
        return None
    gone = sorted((old - new).elements())
    added = sorted((new - old).elements())
    parts = []
    if gone:
        parts.append("removed " + ", ".join(repr(g) for g in gone[:4]))
    if added:
        parts.append("added " + ", ".join(repr(a) for a in added[:4]))
    return f"{label}: {'; '.join(parts)}"


def _quotes(text: str) -> Counter[str]:
    return Counter(" ".join(q.split()) for q in QUOTE.findall(text))


def text_findings(old: str, new: str) -> list[str]:
    """Factual changes between two versions of a body, each as one line."""
    old, new = _fold(old), _fold(new)
    checks = [
        ("numbers", _bag(NUMBER, old), _bag(NUMBER, new)),
        ("dates and times", _bag(DATE_WORD, old), _bag(DATE_WORD, new)),
        ("negation", _bag(NEGATION, old), _bag(NEGATION, new)),
        ("attribution", _bag(ATTRIBUTION, old), _bag(ATTRIBUTION, new)),
        ("quotations", _quotes(old), _quotes(new)),
        ("names of people, places or organisations", _names(old), _names(new)),
    ]
    return [f for f in (_changed(*c) for c in checks) if f]


def source_findings(old: Iterable[Source], new: Iterable[Source]) -> list[str]:
    before = {(s.name, s.via, s.kind) for s in old}
    after = {(s.name, s.via, s.kind) for s in new}
    if before == after:
        return []
    gone = sorted(n for n, _, _ in before - after)
    added = sorted(n for n, _, _ in after - before)
    return [f"sources cited: removed {gone or 'none'}; added {added or 'none'}"]
