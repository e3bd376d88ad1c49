"""A witness cosigns only consistent growth of a log it follows (c2sp.org/tlog-witness)."""

from __future__ import annotations

import json

import pytest

from storylog.transparency.checkpoint import Checkpoint
from storylog.transparency.cosignature import (
    BadRequest,
    Cosigner,
    Inconsistent,
    OldSizeMismatch,
    SplitView,
    UnknownLog,
    Witness,
    verify_cosignatures,
)
from storylog.transparency.merkle import Tree, leaf_hash
from storylog.transparency.notes import InvalidSignature, Signer, UnverifiedNote
from storylog.transparency.proofs import ConsistencyProof

ORIGIN = "news.example/storylog"


class Log:
    """A newsroom's log as a witness sees it: signed checkpoints and proofs."""

    def __init__(self, leaves: list[bytes], signer: Signer | None = None):
        self.signer = signer or Signer.generate(ORIGIN)
        self.tree = Tree(leaf_hash(x) for x in leaves)

    def checkpoint(self, size: int | None = None) -> str:
        size = self.tree.size if size is None else size
        return Checkpoint(ORIGIN, size, self.tree.root(size)).sign(self.signer)

    def proof(self, old: int, size: int | None = None) -> list[bytes]:
        return self.tree.consistency_proof(old, size)


def leaves(n: int, prefix: bytes = b"record") -> list[bytes]:
    return [prefix + bytes([i]) for i in range(n)]


@pytest.fixture
def witness_key() -> Cosigner:
    key = Cosigner.generate("witness.example/w1")
    key.clock = lambda: 1_700_000_000
    return key


def test_the_witness_cosigns_growth_and_remembers_it(tmp_path, witness_key):
    log = Log(leaves(10))
    state = tmp_path / "witness.json"
    witness = Witness(witness_key, {ORIGIN: [log.signer.verifier()]}, state_path=state)
    first = witness.add_checkpoint(log.checkpoint(4), 0, [])
    [cosig] = verify_cosignatures(log.checkpoint(4) + first, [witness_key.verifier()])
    assert cosig.timestamp == 1_700_000_000
    line = witness.add_checkpoint(log.checkpoint(10), 4, log.proof(4, 10))
    assert line.startswith("— witness.example/w1 ")
    saved = json.loads(state.read_text())
    assert saved["logs"][ORIGIN]["size"] == 10
    # a new witness process reads the state file and knows where it stopped
    again = Witness(witness_key, {ORIGIN: [log.signer.verifier()]}, state_path=state)
    assert again.latest(ORIGIN).size == 10
    assert again.latest(ORIGIN).checkpoint == log.checkpoint(10)
    # the same tree again is cosigned again (a fresh timestamp), nothing else changes
    again.add_checkpoint(log.checkpoint(10), 10, [])


def test_a_rewritten_log_re_signed_by_the_newsroom_is_refused(witness_key):
    honest = Log(leaves(6))
    witness = Witness(witness_key, {ORIGIN: [honest.signer.verifier()]})
    witness.add_checkpoint(honest.checkpoint(6), 0, [])
    # version 3 rewritten, the whole tree re-hashed and re-signed with the newsroom's key
    rewritten = Log([*leaves(2), b"rewritten v3", *leaves(7)[3:]], honest.signer)
    with pytest.raises(Inconsistent, match="not an extension"):
        witness.add_checkpoint(rewritten.checkpoint(7), 6, rewritten.proof(6, 7))
    assert witness.latest(ORIGIN).size == 6  # nothing remembered from a refused request


def test_a_split_view_is_refused(witness_key):
    """Two sites with the same tree size and different roots."""
    site_a = Log(leaves(5))
    site_b = Log(leaves(5, b"other"), site_a.signer)
    witness = Witness(witness_key, {ORIGIN: [site_a.signer.verifier()]})
    witness.add_checkpoint(site_a.checkpoint(), 0, [])
    with pytest.raises(SplitView, match="two different trees of 5 leaves"):
        witness.add_checkpoint(site_b.checkpoint(), 5, [])
    with pytest.raises(SplitView, match="never shrinks"):
        witness.add_checkpoint(site_a.checkpoint(3), 3, [])


def test_requests_the_spec_refuses_are_refused(witness_key):
    log = Log(leaves(8))
    stranger = Signer.generate(ORIGIN)
    witness = Witness(witness_key, {ORIGIN: [log.signer.verifier()]})
    other = Checkpoint("elsewhere.example/log", 1, leaf_hash(b"x")).sign(
        Signer.generate("elsewhere.example/log"))
    with pytest.raises(UnknownLog):
        witness.add_checkpoint(other, 0, [])
    with pytest.raises(UnverifiedNote):
        witness.add_checkpoint(Checkpoint(ORIGIN, 8, log.tree.root()).sign(stranger), 0, [])
    with pytest.raises(InvalidSignature):
        witness.add_checkpoint(log.checkpoint().replace("\n8\n", "\n7\n"), 0, [])
    witness.add_checkpoint(log.checkpoint(2), 0, [])
    with pytest.raises(BadRequest):
        witness.add_checkpoint(log.checkpoint(4), 5, log.proof(2, 4))
    with pytest.raises(OldSizeMismatch) as mismatch:
        witness.add_checkpoint(log.checkpoint(4), 3, log.proof(3, 4))
    assert mismatch.value.size == 2 and mismatch.value.http_status == 409
    with pytest.raises(Inconsistent):
        witness.add_checkpoint(log.checkpoint(4), 2, log.proof(3, 4))
    with pytest.raises(Inconsistent):  # a first checkpoint comes with an empty proof
        Witness(witness_key, {ORIGIN: [log.signer.verifier()]}).add_checkpoint(
            log.checkpoint(4), 0, log.proof(2, 4))


def test_the_witness_reads_the_add_checkpoint_body(witness_key):
    log = Log(leaves(9))
    witness = Witness(witness_key, {ORIGIN: [log.signer.verifier()]})
    witness.submit(ConsistencyProof(0, (), log.checkpoint(5)).format())
    body = ConsistencyProof(5, tuple(log.proof(5, 9)), log.checkpoint(9)).format()
    assert body.startswith("old 5\n")
    assert witness.submit(body).startswith("— witness.example/w1 ")
    with pytest.raises(BadRequest):
        witness.submit("old 05\n\n" + log.checkpoint(9))
    with pytest.raises(BadRequest):
        witness.submit(log.checkpoint(9))
