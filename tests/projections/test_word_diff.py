"""The word-level diff behind `diff`, `log --patch` and the site's diff pages."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from storylog.projections.textdiff import FINE_LIMIT, word_diff

WORDS = st.sampled_from(["the", "town", "85%", "80%", "Pokrovsk", "Russian", "forces", ",",
                         ".", "denied", "confirmed", "Bild", "Le", "Monde", "«", "»", "’s"])
TEXT = st.lists(st.tuples(WORDS, st.sampled_from([" ", "  ", "\n", ""])), max_size=400).map(
    lambda parts: "".join(w + s for w, s in parts))


def sides(segments: list[dict[str, str]]) -> tuple[str, str]:
    old = "".join(s["text"] for s in segments if s["op"] != "insert")
    new = "".join(s["text"] for s in segments if s["op"] != "delete")
    return old, new


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT)
def test_the_segments_spell_both_texts(old: str, new: str) -> None:
    segments = word_diff(old, new)
    assert sides(segments) == (old, new)
    assert all(s["text"] for s in segments)  # no empty segments
    assert all(a["op"] != b["op"] for a, b in pairwise(segments))  # neighbours merged


@settings(max_examples=100, deadline=None)
@given(TEXT, st.integers(min_value=0, max_value=400), WORDS)
def test_one_changed_word_is_all_that_is_marked(text: str, at: int, word: str) -> None:
    words = text.split(" ")
    at %= max(len(words), 1)
    if not words[at] or words[at] == word or word in words[at] or words[at] in word:
        return
    changed = " ".join([*words[:at], word, *words[at + 1:]])
    marked = [s for s in word_diff(text, changed) if s["op"] != "equal"]
    assert marked
    assert all(s["text"] in word for s in marked if s["op"] == "insert"), marked
    assert all(s["text"] in words[at] for s in marked if s["op"] == "delete"), marked


def test_a_long_rewrite_keeps_what_it_shares() -> None:
    shared = "Russian forces entered the town of Pokrovsk on Tuesday, officials said."
    old = " ".join(["Earlier reports spoke of heavy shelling near the station."] * 20 + [shared])
    new = " ".join(["A later account describes fighting in the northern districts."] * 20
                   + [shared])
    assert len(old.split()) * 2 > FINE_LIMIT  # the coarse path is taken
    segments = word_diff(old, new)
    assert sides(segments) == (old, new)
    assert segments[-1]["op"] == "equal" and segments[-1]["text"].endswith(shared)


# -- the unified patch of two Markdown renderings ------------------------------------------

LINES = st.sampled_from(["Status: unverified\n", "Status: verified\n", "\n", "Sources: Bild\n",
                         "Russian forces advance.\n", "~~Withdrawn.~~\n", "> **Correction:** x\n"])
SECTION = st.tuples(st.sampled_from(["## 4 Nov 12:21\n", "## 4 Nov 20:05\n", "## 5 Nov 09:00\n"]),
                    st.lists(LINES, max_size=6)).map(lambda t: [t[0], *t[1]])
DOC = st.tuples(st.lists(LINES, max_size=3), st.lists(SECTION, max_size=12)).map(
    lambda t: t[0] + [line for section in t[1] for line in section])


def apply_patch(old: list[str], patch: list[str]) -> list[str]:
    """Apply a unified diff the way patch(1) does, strictly: every context and deleted
    line must match."""
    out, at = [], 0
    hunks = [i for i, line in enumerate(patch) if line.startswith("@@ ")]
    for n, start in enumerate(hunks):
        old_start = int(patch[start].split()[1][1:].split(",")[0])
        old_length = patch[start].split()[1].split(",")
        begin = old_start - 1 if len(old_length) == 1 or old_length[1] != "0" else old_start
        out += old[at:begin]
        at = begin
        for line in patch[start + 1:hunks[n + 1] if n + 1 < len(hunks) else len(patch)]:
            if line[0] in " -":
                assert old[at] == line[1:], (old[at], line)
                at += 1
            if line[0] in " +":
                out.append(line[1:])
    return out + old[at:]


@settings(max_examples=300, deadline=None)
@given(DOC, DOC)
def test_the_story_patch_turns_one_rendering_into_the_other(old: list[str],
                                                             new: list[str]) -> None:
    from storylog.projections.textdiff import unified_lines

    patch = list(unified_lines(old, new, "a.md", "b.md"))
    if old == new:
        assert patch == []
        return
    assert patch[:2] == ["--- a.md\n", "+++ b.md\n"]
    assert apply_patch(old, patch[2:]) == new
