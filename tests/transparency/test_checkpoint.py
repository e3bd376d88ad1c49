"""Checkpoints, cosignatures and proof files in the C2SP formats."""

from __future__ import annotations

import base64

import pytest

from storylog.transparency.checkpoint import Checkpoint, MalformedCheckpoint, open_checkpoint
from storylog.transparency.cosignature import (
    CosignatureVerifier,
    Cosigner,
    cosign,
    cosigned_message,
    verify_cosignatures,
)
from storylog.transparency.merkle import ProofFailed, Tree, leaf_hash
from storylog.transparency.notes import (
    InvalidSignature,
    MalformedNote,
    Signer,
    UnverifiedNote,
    parse,
    parse_verifier_key,
)
from storylog.transparency.proofs import ConsistencyProof, InclusionProof, MalformedProof
from tests.transparency import vectors as v

ORIGIN = "news.example/storylog"
SPEC_BODY = ("example.com/behind-the-sofa\n20852163\n"
             "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")


def test_go_and_c2sp_checkpoint_bodies_parse_and_print_back():
    go = Checkpoint.parse(v.GO_TREE_BODY)
    assert go.origin == "go.sum database tree" and go.size == v.GO_TREE_SIZE
    assert go.root_hash == leaf_hash(b"hello world")  # Go's tlog.RecordHash
    assert go.body() == v.GO_TREE_BODY
    spec = Checkpoint.parse(SPEC_BODY)
    assert (spec.origin, spec.size) == ("example.com/behind-the-sofa", 20852163)
    assert spec.body() == SPEC_BODY
    extended = Checkpoint.parse(SPEC_BODY + "ext one\next two\n")
    assert extended.extensions == ("ext one", "ext two")
    assert extended.body() == SPEC_BODY + "ext one\next two\n"


@pytest.mark.parametrize("body", [
    "not-" + v.GO_TREE_BODY.replace("\n", "", 1),
    v.GO_TREE_BODY.replace("123456789012", "0xabcdef"),
    v.GO_TREE_BODY.replace("Bb0=", "BTOOBIG="),
    v.GO_TREE_BODY.replace("123456789012", "0123"),
    v.GO_TREE_BODY.replace("123456789012", "-1"),
    v.GO_TREE_BODY.replace("123456789012", "١٢٣"),
    v.GO_TREE_BODY.replace("123456789012", str(2**64)),
    v.GO_TREE_BODY.rstrip("\n"),
    v.GO_TREE_BODY + "\n",
    "\n123\n" + base64.b64encode(b"x" * 32).decode() + "\n",
    "origin\n1\n" + base64.b64encode(b"x" * 31).decode() + "\n",
    "origin\n1\n" + base64.b64encode(b"x" * 32).decode().rstrip("=") + "\n",
    "origin\n1\n",
])
def test_malformed_checkpoints_are_refused(body):
    with pytest.raises(MalformedCheckpoint):
        Checkpoint.parse(body)


def test_a_signed_checkpoint_opens_with_the_logs_key_only():
    log = Signer.generate(ORIGIN)
    other = Signer.generate("elsewhere.example/log")
    checkpoint = Checkpoint(ORIGIN, 8, v.ROOTS[7])
    note = checkpoint.sign(log)
    opened, signed = open_checkpoint(note, [log.verifier()], ORIGIN)
    assert opened == checkpoint and signed.signatures[0].name == ORIGIN
    with pytest.raises(UnverifiedNote, match="no key of the log"):
        open_checkpoint(note, [other.verifier()])
    with pytest.raises(MalformedCheckpoint, match="not from"):
        open_checkpoint(note, [log.verifier()], "elsewhere.example/log")
    # a key named after the origin but not the log's own: its signature is ignored
    impostor = Signer.generate(ORIGIN)
    with pytest.raises(UnverifiedNote):
        open_checkpoint(note, [impostor.verifier()])
    with pytest.raises(InvalidSignature):
        open_checkpoint(note.replace("\n8\n", "\n9\n"), [log.verifier()])
    with pytest.raises(MalformedCheckpoint):
        checkpoint.sign(other)


def test_cosignatures_sign_the_c2sp_message_and_verify():
    witness = Cosigner.generate("witness.example/w1")
    witness.clock = lambda: 1679315147
    assert cosigned_message(SPEC_BODY, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + SPEC_BODY.encode())
    log = Signer.generate(ORIGIN)
    note = Checkpoint(ORIGIN, 3, v.ROOTS[2]).sign(log)
    cosigned = note + cosign(note, witness)
    vkey = witness.verifier().vkey
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    verifier = parse_verifier_key(vkey)
    assert isinstance(verifier, CosignatureVerifier)
    [found] = verify_cosignatures(cosigned, [verifier])
    assert (found.witness, found.timestamp) == ("witness.example/w1", 1679315147)
    # the log's own key still opens the cosigned note; the cosignature is just unknown to it
    _, opened = open_checkpoint(cosigned, [log.verifier()])
    assert [s.name for s in opened.unverified] == ["witness.example/w1"]
    # a cosignature moved to another checkpoint, or with its time changed, fails
    other = Checkpoint(ORIGIN, 4, v.ROOTS[3]).sign(log)
    with pytest.raises(InvalidSignature):
        verify_cosignatures(other + cosign(note, witness), [verifier])
    line = cosign(note, witness)
    raw = bytearray(base64.b64decode(line.split()[-1]))
    raw[11] ^= 1  # inside the timestamp
    forged = f"— witness.example/w1 {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(InvalidSignature):
        verify_cosignatures(note + forged, [verifier])
    # an Ed25519 note key of the same name and public key is a different key (type 0x01)
    plain = Signer(witness.name, witness._key)
    assert plain.key_id != witness.key_id


def test_inclusion_proof_files_round_trip_and_verify():
    log = Signer.generate(ORIGIN)
    tree = Tree.of_data(v.LEAVES)
    note = Checkpoint(ORIGIN, tree.size, tree.root()).sign(log)
    proof = InclusionProof(5, tuple(tree.inclusion_proof(5)), note)
    text = proof.format()
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 5\n")
    assert InclusionProof.parse(text) == proof
    assert InclusionProof.parse(text).verify(leaf_hash(v.LEAVES[5]), [log.verifier()]).size == 8
    with pytest.raises(ProofFailed):
        proof.verify(leaf_hash(v.LEAVES[4]), [log.verifier()])
    with_extra = InclusionProof(5, proof.hashes, note, extra=b"records/a/v1.json")
    assert InclusionProof.parse(with_extra.format()) == with_extra
    for bad in (text.replace("index 5", "index 05"), text.replace("c2sp", "C2SP", 1),
                text.replace("index 5\n", ""), "c2sp.org/tlog-proof@v1\nindex 5\n"):
        with pytest.raises(MalformedProof):
            InclusionProof.parse(bad)


def test_consistency_proof_files_are_witness_requests_and_catch_a_rewritten_past():
    log = Signer.generate(ORIGIN)
    tree = Tree.of_data(v.LEAVES)
    old_note = Checkpoint(ORIGIN, 3, tree.root(3)).sign(log)
    new_note = Checkpoint(ORIGIN, 8, tree.root()).sign(log)
    proof = ConsistencyProof(3, tuple(tree.consistency_proof(3)), new_note)
    text = proof.format()
    assert text.startswith("old 3\n") and text.endswith(new_note)
    assert ConsistencyProof.parse(text) == proof
    old, new = proof.verify(old_note, [log.verifier()])
    assert (old.size, new.size) == (3, 8)
    # the newsroom rewrites leaf 1 and re-signs everything with its own key
    rewritten = Tree.of_data([v.LEAVES[0], b"rewritten", *v.LEAVES[2:]])
    forged_note = Checkpoint(ORIGIN, 8, rewritten.root()).sign(log)
    forged = ConsistencyProof(3, tuple(rewritten.consistency_proof(3)), forged_note)
    with pytest.raises(ProofFailed, match="past was changed"):
        forged.verify(old_note, [log.verifier()])
    with pytest.raises(MalformedProof):
        ConsistencyProof(2, proof.hashes, new_note).verify(old_note, [log.verifier()])
    with pytest.raises(MalformedProof):
        ConsistencyProof.parse("new 3\n\n" + new_note)


def test_a_note_text_is_what_is_signed():
    log = Signer.generate(ORIGIN)
    note = Checkpoint(ORIGIN, 1, v.ROOTS[0]).sign(log)
    assert parse(note).text == Checkpoint(ORIGIN, 1, v.ROOTS[0]).body()
    with pytest.raises(MalformedNote):
        open_checkpoint(note.replace("\n\n", "\n"), [log.verifier()])
