"""Signed notes read and write exactly as C2SP signed-note and Go's sumdb/note do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storylog.transparency.notes import (
    InvalidKey,
    InvalidSignature,
    MalformedNote,
    Note,
    Signature,
    Signer,
    UnverifiedNote,
    Verifier,
    open_note,
    parse,
    parse_verifier_key,
    sign,
)
from tests.transparency import vectors as v

PETER = Signature("PeterNeumann", 0xC74F20A3, v.PETER_B64)
ENOCH = Signature("EnochRoot", 0xAF0CFE78, v.ENOCH_B64)


def peter() -> Verifier:
    return parse_verifier_key(v.PETER_VKEY)


def enoch() -> Verifier:
    return parse_verifier_key(v.ENOCH_VKEY)


def insert_abcd(line: str) -> str:
    """Go's ``sig[:60] + "ABCD" + sig[60:]``, on bytes as Go slices strings."""
    raw = line.encode()
    return (raw[:60] + b"ABCD" + raw[60:]).decode()


def test_verifier_keys_of_go_parse_and_print_back():
    assert peter().vkey == v.PETER_VKEY
    assert peter().key_id == 0xC74F20A3
    assert enoch().vkey == v.ENOCH_VKEY


def test_mangled_verifier_keys_are_refused():
    """Go's TestNewVerifier: every proper substring and every byte bumped by one fails."""
    key = v.PETER_VKEY
    for i in range(len(key) + 1):
        for j in range(i + 1, len(key) + 1):
            if (i, j) != (0, len(key)):
                with pytest.raises(InvalidKey):
                    parse_verifier_key(key[i:j])
    for i in range(len(key)):
        with pytest.raises(InvalidKey):
            parse_verifier_key(key[:i] + chr(ord(key[i]) + 1) + key[i + 1:])
    with pytest.raises(InvalidKey):  # wrong length key, with adjusted key hash
        parse_verifier_key(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(InvalidKey):  # unknown algorithm, with adjusted key hash
        parse_verifier_key("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_signer_keys_of_go_parse_and_mangled_ones_are_refused():
    signer = Signer.from_skey(v.PETER_SKEY)
    assert signer.skey == v.PETER_SKEY
    assert signer.verifier().vkey == v.PETER_VKEY
    key = v.PETER_SKEY
    for i in range(len(key)):
        with pytest.raises(InvalidKey):
            Signer.from_skey(key[:i] + chr(ord(key[i]) + 1) + key[i + 1:])
    for cut in range(1, len(key)):
        with pytest.raises(InvalidKey):
            Signer.from_skey(key[:cut])


def test_signing_gives_go_sumdb_notes_bytes():
    signer = Signer.from_skey(v.PETER_SKEY)
    want = v.NOTE_TEXT + "\n" + v.PETER_SIG
    assert sign(v.NOTE_TEXT, signer) == want
    # an existing signature by the same key is replaced, not repeated
    assert sign(Note(v.NOTE_TEXT, unverified=(Signature("PeterNeumann", 0xC74F20A3,
                                                        "BADSIGN="),)), signer) == want
    with pytest.raises(MalformedNote):
        sign("abc", signer)
    with pytest.raises(MalformedNote):  # a kept signature whose key ID does not match
        sign(Note(v.NOTE_TEXT, unverified=(Signature("PeterNeumann", 0xC74F20A3,
                                                     "BADHASH="),)))


def test_open_keeps_unknown_signatures_apart():
    note = open_note(v.NOTE_TEXT + "\n" + v.PETER_SIG + v.ENOCH_SIG, [peter()])
    assert note.text == v.NOTE_TEXT
    assert note.signatures == (PETER,)
    assert note.unverified == (ENOCH,)
    both = open_note(v.NOTE_TEXT + "\n" + v.PETER_SIG + v.ENOCH_SIG, [peter(), enoch()])
    assert both.signatures == (PETER, ENOCH) and both.unverified == ()


def test_a_note_no_known_key_signed_is_refused():
    with pytest.raises(UnverifiedNote, match="no verifiable signatures") as caught:
        open_note(v.NOTE_TEXT + "\n" + v.PETER_SIG + v.ENOCH_SIG, [])
    assert caught.value.note.unverified == (PETER, ENOCH)


def test_ambiguous_verifiers_are_refused_only_when_used():
    with pytest.raises(InvalidKey, match="ambiguous key EnochRoot\\+af0cfe78"):
        open_note(v.NOTE_TEXT + "\n" + v.ENOCH_SIG, [enoch(), peter(), enoch()])
    open_note(v.NOTE_TEXT + "\n" + v.PETER_SIG, [enoch(), peter(), enoch()])


def test_a_bad_signature_by_a_known_key_rejects_the_note():
    with pytest.raises(InvalidSignature, match="PeterNeumann\\+c74f20a3"):
        open_note(v.NOTE_TEXT + "\n" + insert_abcd(v.PETER_SIG), [peter()])
    with pytest.raises(InvalidSignature):
        open_note(v.NOTE_TEXT.replace("answer", "Answer") + "\n" + v.PETER_SIG, [peter()])


def test_repeated_signatures_count_once():
    enoch_abcd = insert_abcd(v.ENOCH_SIG)
    note = open_note(v.NOTE_TEXT + "\n" + v.PETER_SIG * 2 + v.ENOCH_SIG * 2 + enoch_abcd,
                     [peter()])
    assert note.signatures == (PETER,)
    assert note.unverified == (ENOCH, Signature("EnochRoot", 0xAF0CFE78,
                                                enoch_abcd.split()[-1]))


def test_too_many_signatures_are_refused():
    for verifiers in ([peter()], []):
        with pytest.raises(MalformedNote):
            open_note(v.NOTE_TEXT + "\n" + v.PETER_SIG * 101, verifiers)


@pytest.mark.parametrize("message", [
    v.NOTE_TEXT,
    v.NOTE_TEXT + "\n",
    v.NOTE_TEXT + "\n" + v.PETER_SIG[:-1],
    "\x01" + v.NOTE_TEXT + "\n" + v.PETER_SIG,
    (b"\xff" + (v.NOTE_TEXT + "\n" + v.PETER_SIG).encode()),
    v.NOTE_TEXT + "\n" + "— Bad Name " + v.PETER_B64,
    v.NOTE_TEXT + "\n" + v.PETER_SIG + "Unexpected line.\n",
    v.NOTE_TEXT + "\n" + "— PeterNeumann " + v.PETER_B64[:-4] + "!!!=\n",
    v.NOTE_TEXT + "\n" + "— PeterNeumann AAAA\n",
    v.NOTE_TEXT + "\n" + "- PeterNeumann " + v.PETER_B64 + "\n",
    v.NOTE_TEXT + "\n" + "— a+b " + v.PETER_B64 + "\n",
    "text\r\n\n" + v.PETER_SIG,
    "\ud800\n\n" + v.PETER_SIG,
])
def test_malformed_notes_are_refused(message):
    """Go's badMsgs, and more: the format is checked before any key is tried."""
    with pytest.raises(MalformedNote):
        open_note(message, [peter()])


def test_the_spec_example_parses():
    """signed-note.md's example: a note text with an empty line inside it."""
    example = ("Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
               "ed è subito sera.\n\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDk"
               "O/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n")
    note = parse(example)
    assert note.text.endswith("sole:\n\ned è subito sera.\n")
    assert note.unverified[0].name == "quasimodo.example/salvatore"


@settings(derandomize=True, database=None, deadline=None, max_examples=60)
@given(st.lists(st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30),
                min_size=1, max_size=5))
def test_what_we_sign_opens_and_any_changed_text_does_not(lines):
    signer = Signer.generate("newsroom.example/log")
    text = "\n".join(lines) + "\n"
    note = open_note(sign(text, signer), [signer.verifier()])
    assert note.text == text
    with pytest.raises(InvalidSignature):
        open_note(sign(text, signer).replace(text, text + "x\n", 1), [signer.verifier()])
