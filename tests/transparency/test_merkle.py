"""The log's Merkle tree hashes and proves exactly as RFC 6962 / 9162 logs do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storylog.errors import RefusedInput
from storylog.transparency.merkle import (
    EMPTY_ROOT,
    ProofFailed,
    Tree,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from tests.transparency import vectors as v

FIXED = settings(derandomize=True, database=None, deadline=None, max_examples=150)


def reference_tree() -> Tree:
    return Tree.of_data(v.LEAVES)


# -- the published vectors ---------------------------------------------------------------


def test_hashes_match_rfc_6962_vectors():
    assert EMPTY_ROOT == v.EMPTY_ROOT == Tree().root()
    assert leaf_hash(b"") == v.EMPTY_LEAF
    assert leaf_hash(b"L123456") == v.LEAF_L123456
    assert node_hash(b"N123", b"N456") == v.NODE_N123_N456


def test_roots_of_every_prefix_match_the_reference_tree():
    tree = reference_tree()
    assert [tree.root(n) for n in range(1, 9)] == v.ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), v.INCLUSION)
def test_inclusion_proofs_match_and_verify(index, size, proof):
    tree = reference_tree()
    assert tree.inclusion_proof(index, size) == proof
    leaf = leaf_hash(v.LEAVES[index])
    assert root_from_inclusion_proof(index, size, leaf, proof) == v.ROOTS[size - 1]
    verify_inclusion(index, size, leaf, proof, v.ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "proof"), v.CONSISTENCY)
def test_consistency_proofs_match_and_verify(old, new, proof):
    assert reference_tree().consistency_proof(old, new) == proof
    verify_consistency(old, new, v.ROOTS[old - 1], v.ROOTS[new - 1], proof)


def corrupt_inclusion(index, size, proof, root, leaf):
    """The probes of transparency-dev/merkle's corruptInclusionProof, every one must fail."""
    probes = [
        (index - 1, size, root, leaf, proof), (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof), (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof), (index, size, root, b"WrongLeaf", proof),
        (index, size, v.EMPTY_ROOT, leaf, proof), (index, size, v.SOME_HASH, leaf, proof),
        (index, size, root, leaf, [*proof, b""]), (index, size, root, leaf, [*proof, root]),
        (index, size, root, leaf, [b"", *proof]), (index, size, root, leaf, [root, *proof]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, root, leaf, wrong))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], v.SOME_HASH, *proof[1:]]))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), v.INCLUSION)
def test_corrupted_inclusion_proofs_fail(index, size, proof):
    root, leaf = v.ROOTS[size - 1], leaf_hash(v.LEAVES[index])
    for probe in corrupt_inclusion(index, size, proof, root, leaf):
        with pytest.raises(ProofFailed):
            verify_inclusion(probe[0], probe[1], probe[3], probe[4], probe[2])


def corrupt_consistency(old, new, root1, root2, proof):
    probes = [
        (old - 1, new, root1, root2, proof), (old + 1, new, root1, root2, proof),
        (old ^ 2, new, root1, root2, proof), (old, new * 2, root1, root2, proof),
        (old, new // 2, root1, root2, proof), (old, new, b"WrongRoot", root2, proof),
        (old, new, root1, b"WrongRoot", proof), (old, new, root2, root1, proof),
        (old, new, root1, root2, []), (old, new, root1, root2, [*proof, b""]),
        (old, new, root1, root2, [*proof, root1]), (old, new, root1, root2, [*proof, root2]),
        (old, new, root1, root2, [b"", *proof]), (old, new, root1, root2, [root1, *proof]),
        (old, new, root1, root2, [root2, *proof]), (old, new, root1, root2, [proof[0], *proof]),
        (old, new, root1, root2, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((old, new, root1, root2, wrong))
    return probes


@pytest.mark.parametrize(("old", "new", "proof"), [c for c in v.CONSISTENCY if c[2]])
def test_corrupted_consistency_proofs_fail(old, new, proof):
    for probe in corrupt_consistency(old, new, v.ROOTS[old - 1], v.ROOTS[new - 1], proof):
        with pytest.raises(ProofFailed):
            verify_consistency(*probe)


R1, R2 = b"1" * 32, b"2" * 32


@pytest.mark.parametrize(("old", "new", "root1", "root2", "proof", "ok"), [
    (0, 0, R1, R2, [], False), (1, 1, R1, R2, [], False),
    (0, 0, R1, R1, [], True), (0, 1, R1, R2, [], True), (1, 1, R2, R2, [], True),
    (1, 0, R1, R2, [], False), (2, 1, R1, R2, [], False), (1, 2, R1, R2, [], False),
    (0, 0, v.EMPTY_ROOT, v.EMPTY_ROOT, [v.EMPTY_ROOT], False),
    (0, 1, v.EMPTY_ROOT, v.EMPTY_ROOT, [v.EMPTY_ROOT], False),
    (1, 1, v.EMPTY_ROOT, v.EMPTY_ROOT, [v.EMPTY_ROOT], False),
])
def test_edge_cases_of_consistency(old, new, root1, root2, proof, ok):
    """transparency-dev/merkle's TestVerifyConsistency table (roots padded to 32 bytes)."""
    if ok:
        verify_consistency(old, new, root1, root2, proof)
    else:
        with pytest.raises(ProofFailed):
            verify_consistency(old, new, root1, root2, proof)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_edge_cases_of_inclusion(index, size):
    for leaf, root in ((v.SOME_HASH, b""), (b"", v.EMPTY_ROOT), (v.SOME_HASH, v.EMPTY_ROOT)):
        with pytest.raises(ProofFailed):
            verify_inclusion(index, size, leaf, [], root)


def test_a_real_certificate_transparency_log_verifies():
    """Google's Argon 2020 log, 961,984,013 entries: proofs made by another implementation."""
    leaf = leaf_hash(v.ARGON_LEAF_INPUT)
    verify_inclusion(v.ARGON_LEAF_INDEX, v.ARGON_SIZE, leaf, v.ARGON_INCLUSION, v.ARGON_ROOT)
    verify_consistency(v.ARGON_OLD_SIZE, v.ARGON_SIZE, v.ARGON_OLD_ROOT, v.ARGON_ROOT,
                       v.ARGON_CONSISTENCY)
    with pytest.raises(ProofFailed):
        verify_inclusion(v.ARGON_LEAF_INDEX + 1, v.ARGON_SIZE, leaf, v.ARGON_INCLUSION,
                         v.ARGON_ROOT)
    with pytest.raises(ProofFailed, match="old root"):
        verify_consistency(v.ARGON_OLD_SIZE, v.ARGON_SIZE, v.ROOTS[0], v.ARGON_ROOT,
                           v.ARGON_CONSISTENCY)


# -- generated trees ---------------------------------------------------------------------


def naive_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 section 2.1 writes it, recursively, as the oracle."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


sizes = st.integers(min_value=1, max_value=70)


@FIXED
@given(sizes, st.randoms(use_true_random=False))
def test_every_inclusion_proof_of_a_random_tree_verifies(n, rnd):
    leaves = [leaf_hash(rnd.randbytes(rnd.randint(0, 8))) for _ in range(n)]
    tree = Tree(leaves)
    for size in {n, rnd.randint(1, n)}:
        root = tree.root(size)
        assert root == naive_root(leaves[:size])
        for index in range(size):
            verify_inclusion(index, size, leaves[index], tree.inclusion_proof(index, size), root)


@FIXED
@given(sizes, st.data())
def test_every_consistency_proof_between_random_sizes_verifies(n, data):
    tree = Tree(leaf_hash(i.to_bytes(4, "big")) for i in range(n))
    new = data.draw(st.integers(0, n))
    for old in range(new + 1):
        verify_consistency(old, new, tree.root(old), tree.root(new),
                           tree.consistency_proof(old, new))


@FIXED
@given(st.integers(2, 70), st.data())
def test_tampered_proofs_and_roots_fail(n, data):
    tree = Tree(leaf_hash(bytes([i % 256, i // 256])) for i in range(n))
    index = data.draw(st.integers(0, n - 1))
    proof = tree.inclusion_proof(index)
    flip = data.draw(st.integers(0, 255))
    bad_root = bytearray(tree.root())
    bad_root[flip % 32] ^= 1 << (flip % 8)
    with pytest.raises(ProofFailed):
        verify_inclusion(index, n, tree.leaf(index), proof, bytes(bad_root))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[at] = bytes([bad[at][0] ^ 1]) + bad[at][1:]
        with pytest.raises(ProofFailed):
            verify_inclusion(index, n, tree.leaf(index), bad, tree.root())
    old = data.draw(st.integers(1, n - 1))
    consistency = tree.consistency_proof(old)
    with pytest.raises(ProofFailed):
        verify_consistency(old, n, tree.root(old), bytes(bad_root), consistency)
    # a rewritten past: leaf 0 changed, the new tree re-hashed from scratch
    rewritten = Tree([leaf_hash(b"rewritten"), *tree.levels[0][1:]])
    with pytest.raises(ProofFailed):
        verify_consistency(old, n, tree.root(old), rewritten.root(),
                           rewritten.consistency_proof(old))


def test_proofs_refuse_sizes_outside_the_tree():
    tree = Tree.of_data(v.LEAVES)
    with pytest.raises(RefusedInput):
        tree.inclusion_proof(8)
    with pytest.raises(RefusedInput):
        tree.consistency_proof(9)
    with pytest.raises(RefusedInput):
        tree.root(9)
    with pytest.raises(RefusedInput):
        tree.append(b"short")


def test_proofs_for_every_leaf_of_a_large_tree_are_cheap():
    """O(n log n): 5,000 leaves' proofs take well under a second's worth of hashing."""
    import hashlib
    from unittest import mock

    tree = Tree(leaf_hash(i.to_bytes(4, "big")) for i in range(5000))
    calls = 0
    real = hashlib.sha256

    def counting(data=b""):
        nonlocal calls
        calls += 1
        return real(data)

    with mock.patch("storylog.transparency.merkle.hashlib.sha256", counting):
        for index in range(tree.size):
            tree.inclusion_proof(index)
    assert calls < 5000 * 13 * 2  # a few node hashes per proof, not a rebuild per proof
