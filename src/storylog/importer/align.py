"""Pair the updates of two copies of a live page, to turn a newer copy into edits.

Updates pair when they have the same stamp and a similar body. Similarity is
measured sentence by sentence: each sentence of one body is matched with the
most similar sentence of the other (difflib's ratio over normalised text, so
small rewording still scores high), weighted by length; the score is the
better of the two directions, so an update that only grew (or only lost text)
still pairs with its old self. Pairs scoring at least ``certain`` are sure;
those between ``threshold`` and ``certain`` are flagged uncertain.

Then, in this order: updates left over pair across different stamps when their
bodies score at least ``certain`` (the stamp changed: uncertain; when more than
a few dozen updates are left over, only updates that share a sentence that few
others have are compared, so a moved update whose every sentence was also
reworded is then reported removed and added); updates still
left that share a stamp pair whatever their score (the text was rewritten:
uncertain, so that a person decides, rather than the importer turning a rewrite
into a removal and an addition). What is still left is removed (old) or added
(new).

A paired update keeps the old update's id: ids on the newer page are only
positions, and may differ when updates that share a stamp come and go.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from storylog.importer.page import ParsedUpdate
from storylog.importer.text import sentence_spans

THRESHOLD = 0.5
CERTAIN = 0.85
_BRUTE_FORCE_LIMIT = 2_500
_RARE = 3  # a sentence found in at most this many old updates can identify one
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


@dataclass(frozen=True)
class AlignedPair:
    """An update found in both copies, and what about it changed."""

    old: ParsedUpdate
    new: ParsedUpdate
    similarity: float
    uncertain: bool
    stamp_changed: bool
    body_changed: bool
    sources_changed: bool
    media_changed: bool

    @property
    def changed(self) -> bool:
        return self.stamp_changed or self.body_changed or self.sources_changed or (
            self.media_changed
        )


@dataclass(frozen=True)
class Alignment:
    pairs: list[AlignedPair]
    added: list[ParsedUpdate]
    removed: list[ParsedUpdate]

    @property
    def changed(self) -> list[AlignedPair]:
        return [pair for pair in self.pairs if pair.changed]

    @property
    def uncertain(self) -> list[AlignedPair]:
        return [pair for pair in self.pairs if pair.uncertain]

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def align(
    old: Sequence[ParsedUpdate], new: Sequence[ParsedUpdate], *,
    threshold: float = THRESHOLD, certain: float = CERTAIN,
) -> Alignment:
    """Pair the updates of an older and a newer copy of a page (pairs in the newer page's
    order; added in page order; removed in the older page's order)."""
    sentences = _Sentences()
    found: dict[int, tuple[int, float]] = {}
    _pair_same_stamps(old, new, sentences, threshold, found)
    _pair_moved(old, new, sentences, certain, found)
    _pair_same_stamps(old, new, sentences, -1.0, found)
    pairs = [
        _pair(old[i], new[j], score, score < certain or old[i].stamp != new[j].stamp)
        for j, (i, score) in sorted(found.items())
    ]
    taken = {i for i, _ in found.values()}
    return Alignment(
        pairs,
        [update for j, update in enumerate(new) if j not in found],
        [update for i, update in enumerate(old) if i not in taken],
    )


def similarity(old_body: str, new_body: str) -> float:
    """How much of one body survives in the other, from 0 to 1 (1: identical sentences)."""
    cache = _Sentences()
    return _score(cache.of(old_body), cache.of(new_body))


def _pair(old: ParsedUpdate, new: ParsedUpdate, score: float, uncertain: bool) -> AlignedPair:
    return AlignedPair(
        old, new, round(score, 4), uncertain,
        stamp_changed=old.stamp != new.stamp, body_changed=old.body != new.body,
        sources_changed=old.sources != new.sources, media_changed=old.media != new.media,
    )


def _pair_same_stamps(
    old: Sequence[ParsedUpdate], new: Sequence[ParsedUpdate], sentences: _Sentences,
    threshold: float, found: dict[int, tuple[int, float]],
) -> None:
    taken = {i for i, _ in found.values()}
    by_stamp: dict[str, list[int]] = {}
    for i, update in enumerate(old):
        if i not in taken:
            by_stamp.setdefault(update.stamp, []).append(i)
    candidates = [
        (i, j) for j, update in enumerate(new) if j not in found
        for i in by_stamp.get(update.stamp, [])
    ]
    _greedy(old, new, candidates, sentences, threshold, found)


def _pair_moved(
    old: Sequence[ParsedUpdate], new: Sequence[ParsedUpdate], sentences: _Sentences,
    certain: float, found: dict[int, tuple[int, float]],
) -> None:
    taken = {i for i, _ in found.values()}
    olds = [i for i in range(len(old)) if i not in taken]
    news = [j for j in range(len(new)) if j not in found]
    if not olds or not news:
        return
    if len(olds) * len(news) <= _BRUTE_FORCE_LIMIT:
        candidates = [(i, j) for j in news for i in olds]
    else:
        candidates = list(_sharing_a_sentence(old, new, olds, news, sentences))
    _greedy(old, new, candidates, sentences, certain, found)


def _sharing_a_sentence(
    old: Sequence[ParsedUpdate], new: Sequence[ParsedUpdate], olds: list[int],
    news: list[int], sentences: _Sentences,
) -> Iterable[tuple[int, int]]:
    """Candidate pairs when many updates are left over: updates that share a sentence few
    other updates have (a stock phrase repeated all over the page identifies nothing)."""
    index: dict[str, set[int]] = {}
    for i in olds:
        for sentence in sentences.of(old[i].body):
            index.setdefault(sentence, set()).add(i)
    for j in news:
        near: set[int] = set()
        for sentence in sentences.of(new[j].body):
            holders = index.get(sentence, set())
            if len(holders) <= _RARE:
                near |= holders
        yield from ((i, j) for i in sorted(near))


def _greedy(
    old: Sequence[ParsedUpdate], new: Sequence[ParsedUpdate],
    candidates: list[tuple[int, int]], sentences: _Sentences, threshold: float,
    found: dict[int, tuple[int, float]],
) -> None:
    """Pair the most similar candidates first; each update pairs at most once."""
    scored = []
    for i, j in candidates:
        score = _score(sentences.of(old[i].body), sentences.of(new[j].body))
        if score >= threshold:
            scored.append((-score, abs(i - j), i, j))
    taken = {i for i, _ in found.values()}
    for negative, _, i, j in sorted(scored):
        if i not in taken and j not in found:
            found[j] = (i, -negative)
            taken.add(i)


class _Sentences:
    """Normalised sentences of a body, computed once per body."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, ...]] = {}

    def of(self, body: str) -> tuple[str, ...]:
        cached = self._cache.get(body)
        if cached is None:
            text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", body).translate(_QUOTES))
            spans = sentence_spans(text)
            cached = tuple(
                text[start:end].strip().casefold() for start, end in spans
                if text[start:end].strip()
            )
            self._cache[body] = cached
        return cached


def _score(old: tuple[str, ...], new: tuple[str, ...]) -> float:
    if old == new:
        return 1.0
    if not old or not new:
        return 0.0
    return max(_coverage(old, new), _coverage(new, old))


def _coverage(these: tuple[str, ...], those: tuple[str, ...]) -> float:
    """Length-weighted mean, over ``these`` sentences, of their best match in ``those``."""
    exact = set(those)
    total = sum(len(s) for s in these) or 1
    return sum(len(s) * _best(s, those, exact) for s in these) / total


def _best(sentence: str, those: tuple[str, ...], exact: set[str]) -> float:
    if sentence in exact:
        return 1.0
    best = 0.0
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(sentence)
    for other in those:
        matcher.set_seq1(other)
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return best
