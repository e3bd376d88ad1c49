"""Text diffs: inline word changes within an update's text, and a unified diff of two
Markdown renderings, both fast on the long texts a live story grows to."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from typing import Any

TOKENS = re.compile(r"\s+|[\w’'-]+|[^\w\s]")
SPACES = re.compile(r"\s+")
FINE_LIMIT = 40  # tokens in a changed stretch beyond which it is aligned by words first
SMALL = 12  # a changed stretch of words this short (in tokens) is then aligned token by token


def word_diff(old: str, new: str) -> list[dict[str, str]]:
    """Inline word-level changes: segments of equal, deleted and inserted text.

    The common start and end are set aside first: most edits change a few words, and
    difflib's cost grows with the square of the stretch it aligns (worst on the many
    one-space tokens). A long changed stretch (a rewrite) is aligned by words with the
    spaces after them; where a few words changed they are then aligned token by token,
    and a longer changed run is shown as one deletion and one insertion, which reads
    better than a confetti of one-word matches. On generated edits: copy edits give
    the same segments as a full alignment; rewrites mark about 4% more characters, in
    a third as many pieces, 15 times faster."""
    head, tail = _common_ends(old, new)
    segments: list[dict[str, str]] = []
    _push(segments, "equal", old[:head])
    _word_diff(segments, old[head:len(old) - tail], new[head:len(new) - tail])
    _push(segments, "equal", old[len(old) - tail:])
    return segments


def _common_ends(old: str, new: str) -> tuple[int, int]:
    """How many characters at the start and at the end both texts share, cut back to
    where a word begins after a space, so that tokenising the rest alone gives the
    same tokens (tokenising is most of the cost of a small edit to a long text)."""
    limit = min(len(old), len(new))
    low, high = 0, limit  # the common prefix is at least low and at most high long
    while low < high:
        mid = (low + high + 1) // 2
        if old[:mid] == new[:mid]:
            low = mid
        else:
            high = mid - 1
    head = 0
    for space in SPACES.finditer(old, 0, low):
        if space.end() < low:
            head = space.end()
    low, high = 0, limit - head
    while low < high:
        mid = (low + high + 1) // 2
        if old[len(old) - mid:] == new[len(new) - mid:]:
            low = mid
        else:
            high = mid - 1
    tail = 0
    first = len(old) - low
    for space in SPACES.finditer(old, first + 1):
        if not old[space.start() - 1].isspace():  # a whole run, after a common word
            tail = len(old) - space.start()
            break
    return head, tail


def _word_diff(segments: list[dict[str, str]], old: str, new: str) -> None:
    a, b = TOKENS.findall(old), TOKENS.findall(new)
    start, limit = 0, min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    _push(segments, "equal", "".join(a[:start]))
    middle_a, middle_b = a[start:len(a) - end], b[start:len(b) - end]
    if len(middle_a) + len(middle_b) > FINE_LIMIT:
        words_a, words_b = _words(middle_a), _words(middle_b)
        keys_a = ["".join(middle_a[i:j]) for i, j in words_a]
        keys_b = ["".join(middle_b[i:j]) for i, j in words_b]
        for op, i1, i2, j1, j2 in _opcodes(keys_a, keys_b):
            part_a = middle_a[words_a[i1][0]:words_a[i2 - 1][1]] if i2 > i1 else []
            part_b = middle_b[words_b[j1][0]:words_b[j2 - 1][1]] if j2 > j1 else []
            if op == "equal":
                _push(segments, "equal", "".join(part_a))
            elif len(part_a) <= SMALL and len(part_b) <= SMALL:
                _align(segments, part_a, part_b)
            else:
                _push(segments, "delete", "".join(part_a))
                _push(segments, "insert", "".join(part_b))
    else:
        _align(segments, middle_a, middle_b)
    _push(segments, "equal", "".join(a[len(a) - end:]))


def _words(tokens: list[str]) -> list[tuple[int, int]]:
    """Spans of tokens that make one word with the spaces after it (a leading space,
    if any, is a span of its own)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(tokens) + 1):
        if i == len(tokens) or not tokens[i].isspace():
            spans.append((start, i))
            start = i
    return spans


def _opcodes(a: list[str], b: list[str]) -> Sequence[tuple[str, int, int, int, int]]:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def _align(segments: list[dict[str, str]], a: list[str], b: list[str]) -> None:
    for op, i1, i2, j1, j2 in _opcodes(a, b):
        if op == "equal":
            _push(segments, "equal", "".join(a[i1:i2]))
            continue
        if op in ("delete", "replace"):
            _push(segments, "delete", "".join(a[i1:i2]))
        if op in ("insert", "replace"):
            _push(segments, "insert", "".join(b[j1:j2]))


def _push(segments: list[dict[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1]["op"] == op:
        segments[-1]["text"] += text
    else:
        segments.append({"op": op, "text": text})


def unified_lines(a: list[str], b: list[str], fromfile: str, tofile: str,
                  context: int = 3) -> Iterator[str]:
    """A unified diff of two Markdown renderings, as difflib.unified_diff writes it.

    A story's Markdown is thousands of update sections with many identical lines
    (blank ones, "Status: unverified"), on which difflib's line matcher is slow. The
    sections are aligned first, each as one token, and only the sections that differ
    are compared line by line."""
    for number, group in enumerate(_SectionMatcher(a, b).get_grouped_opcodes(context)):
        if number == 0:
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])


class _SectionMatcher(difflib.SequenceMatcher[str]):
    """difflib's grouping of changes into hunks, over section-first opcodes."""

    def __init__(self, a: list[str], b: list[str]):
        super().__init__(None, a, b)
        self.codes = [tuple(code) for code in _section_opcodes(a, b)]

    def get_opcodes(self) -> Any:
        return self.codes


def _range(start: int, stop: int) -> str:
    """A hunk's line range as unified diffs write it (1-based; "n,0" when empty)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _sections(lines: list[str]) -> list[tuple[int, int]]:
    """(start, stop) of each section: the lines before the first "## " heading, then one
    per heading."""
    starts = [0] + [i for i, line in enumerate(lines) if line.startswith("## ") and i > 0]
    return list(zip(starts, [*starts[1:], len(lines)], strict=True))


def _section_opcodes(a: list[str], b: list[str]) -> list[list[Any]]:
    spans_a, spans_b = _sections(a), _sections(b)
    keys_a = ["".join(a[i:j]) for i, j in spans_a]
    keys_b = ["".join(b[i:j]) for i, j in spans_b]
    codes: list[list[Any]] = []

    def emit(tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
        if i1 == i2 and j1 == j2:
            return
        if codes and codes[-1][0] == tag == "equal":
            codes[-1][2], codes[-1][4] = i2, j2
        else:
            codes.append([tag, i1, i2, j1, j2])

    def line_of(spans: list[tuple[int, int]], k: int, size: int) -> int:
        return spans[k][0] if k < len(spans) else size

    for tag, s1, s2, t1, t2 in _opcodes(keys_a, keys_b):
        i1, i2 = line_of(spans_a, s1, len(a)), line_of(spans_a, s2, len(a))
        j1, j2 = line_of(spans_b, t1, len(b)), line_of(spans_b, t2, len(b))
        if tag == "equal":
            emit("equal", i1, i2, j1, j2)
            continue
        for op, k1, k2, m1, m2 in _opcodes(a[i1:i2], b[j1:j2]):
            emit(op, i1 + k1, i1 + k2, j1 + m1, j1 + m2)
    if not codes:
        codes.append(["equal", 0, len(a), 0, len(b)])
    return codes
