"""Text helpers shared by the importer: folding, quote masking, sentences.

``fold`` maps every character to exactly one character (lower case, accents
stripped, curly apostrophes made straight), so a position in folded text is the
same position in the original. ``key`` is the comparison key for names: like
``storylog.domain.sources.source_key`` it keeps letters of every script and drops
punctuation, but a character that folds to several (``ß``, ``ﬁ``) stays one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

APOSTROPHES = "'’‘ʼ`"
MASK = "~"
_SEPARATOR = "\x00"
_APOSTROPHE = "\x01"
_ATOMS = {_SEPARATOR: r"[\s\-‐–.]+", _APOSTROPHE: "'?"}
_Trie = dict[str, "_Trie"]


class _FoldTable(dict[int, str]):
    """A str.translate table that fills itself in, one character at a time."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in APOSTROPHES:
            folded = "'"
        else:
            decomposed = unicodedata.normalize("NFKD", char.casefold())
            folded = "".join(c for c in decomposed if not unicodedata.combining(c))
            if len(folded) != 1:
                folded = char.lower() if len(char.lower()) == 1 else char
        self[code] = folded
        return folded


_FOLD = _FoldTable()
_NOT_WORD = re.compile(r"[\W_]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def fold(text: str) -> str:
    """Lower case, accents stripped, one character for one character."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return text.translate(_FOLD)
    if lowered.isascii():
        return lowered
    return _NON_ASCII.sub(_fold_match, lowered)


def _fold_match(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD)


@lru_cache(maxsize=8192)
def key(name: str) -> str:
    """The comparison key of a name: "Röpcke", "ROPCKE" and "Ropcke" are one key."""
    return _NOT_WORD.sub(" ", fold(name).replace("'", "")).strip()


# Quotations are masked before looking for attributions, so that a name or a
# verb inside quoted speech is not taken for the page's own attribution. The
# punctuation that closes a quoted sentence is kept, so sentences still split.
_QUOTED = re.compile(r"“([^”]*)(”|$)|\"([^\"]*)(\"|$)")


def mask_quotes(text: str) -> str:
    """The text with the inside of every quotation replaced by MASK characters."""
    return _QUOTED.sub(_mask_match, text)


def _mask_match(match: re.Match[str]) -> str:
    whole = match.group(0)
    opening, inner = whole[0], whole[1:]
    closing = ""
    if inner and inner[-1] in "”\"":
        inner, closing = inner[:-1], inner[-1]
    kept = inner[-1] if inner and inner[-1] in ".!?," else ""
    return opening + MASK * (len(inner) - len(kept)) + kept + closing


def words(text: str) -> frozenset[str]:
    """A set of words written as one string, for readable word lists."""
    return frozenset(text.split())


_ABBREVIATIONS = words(
    "mr mrs ms dr st gen lt col sgt capt maj jan feb mar apr jun jul aug sep sept oct nov dec "
    "no vs etc e.g i.e u.s u.k u.n approx est gov sen rep"
)
_SENTENCE_END = re.compile(r"[.!?…][”\"’)\]]*\s+(?=[“\"‘(\[]?[A-Z0-9\u00c0-\u024f])")


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence; abbreviations and initials do not end one."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        word = text[start:match.start() + 1].rsplit(None, 1)[-1].rstrip(".").lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        yield start, match.end()
        start = match.end()
    if start < len(text):
        yield start, len(text)


_TERMINAL = ".!?:;…\"”’)]"


def is_continuation(previous: str, line: str) -> bool:
    """Whether ``line`` continues a hard-wrapped paragraph that ``previous`` began."""
    return bool(previous) and previous[-1] not in _TERMINAL and line[:1].islower()


def _atoms(phrase: str) -> str:
    """A phrase as trie atoms: folded letters, separators and optional apostrophes."""
    words = re.findall(r"[\w']+", fold(phrase))
    return _SEPARATOR.join(w.strip("'").replace("'", _APOSTROPHE) for w in words if w.strip("'"))


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression that finds any of ``phrases`` in folded text, on word
    boundaries, longest first; built as a trie, so it stays fast however many there are."""
    trie: _Trie = {}
    for phrase in phrases:
        atoms = _atoms(phrase)
        node = trie
        for atom in atoms:
            node = node.setdefault(atom, {})
        if atoms:
            node[""] = {}
    if not trie:
        return None
    return re.compile(rf"(?<!\w)(?:{_trie_regex(trie)})(?!\w)")


def _trie_regex(node: _Trie) -> str:
    branches = [
        (_ATOMS.get(atom) or re.escape(atom)) + _trie_regex(child)
        for atom, child in sorted(node.items()) if atom
    ]
    if not branches:
        return ""
    alternation = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{alternation})?"
    return alternation
