"""storylog's fast canonical JSON gives RFC 8785's bytes for everything it hashes."""

from __future__ import annotations

import sys

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from storylog.store.canonical import _fast_path_agrees, canonical

EVERY_CODE_POINT = "".join(
    chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF
)


def test_every_code_point_is_serialised_as_rfc_8785_does():
    for start in range(0, len(EVERY_CODE_POINT), 4096):
        value = {"text": EVERY_CODE_POINT[start:start + 4096]}
        assert canonical(value) == rfc8785.dumps(value)


values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=4),
    max_leaves=20,
)


@settings(max_examples=400)
@given(values)
def test_canonical_bytes_equal_the_reference(value):
    try:
        expected = rfc8785.dumps(value)
    except Exception:  # the reference refuses it (an integer beyond 2^53)
        assert not _fast_path_agrees(value)
        return
    assert canonical(value) == expected


def test_non_ascii_keys_take_the_reference_path():
    value = {"\U0001F600": 1, "\uE000": 2, "a": 3}
    assert not _fast_path_agrees(value)
    assert canonical(value) == rfc8785.dumps(value)
