"""Merkle tree hashing, inclusion and consistency proofs: RFC 6962 / RFC 9162, SHA-256.

The log's tree is the one Certificate Transparency, Go's checksum database and Sigstore's
Rekor use, so that outside tools check storylog's proofs as they check theirs:

    leaf hash = SHA-256(0x00 || data)
    node hash = SHA-256(0x01 || left || right)
    the tree of n leaves splits at k, the largest power of two below n

Everything here works on leaf *hashes* (32 bytes each): the caller decides what a leaf's
data is (for storylog, a public record's canonical bytes; see ``record.py``).

Proof generation follows RFC 9162 section 2.1.3.1 (PATH) and 2.1.4.1 (SUBPROOF);
verification follows sections 2.1.3.2 and 2.1.4.2 step by step, which is what makes
our proofs interchangeable with other logs' (tested against CT's published vectors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from storylog.errors import RefusedInput, VerificationFailed

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofFailed(VerificationFailed):
    """A Merkle proof does not lead to the root it claims."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """k, the largest power of two smaller than n (n >= 2): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """An append-only Merkle tree over leaf hashes, keeping every complete subtree.

    ``levels[h][i]`` is the hash of the perfect subtree over leaves ``[i*2^h, (i+1)*2^h)``,
    so the hash of any subtree the RFC's recursion asks for takes O(log n) look-ups, and
    a proof for every one of n leaves costs O(n log n) hashes in all, not O(n^2).
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()):
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    @classmethod
    def of_data(cls, leaves: Iterable[bytes]) -> Tree:
        return cls(leaf_hash(data) for data in leaves)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, hash_: bytes) -> int:
        """Add one leaf hash; returns its index."""
        if not isinstance(hash_, bytes) or len(hash_) != HASH_SIZE:
            raise RefusedInput(f"a leaf hash is {HASH_SIZE} bytes, not {hash_!r}")
        self.levels[0].append(hash_)
        level = 0
        while len(self.levels[level]) % 2 == 0:
            pair = self.levels[level][-2:]
            if len(self.levels) == level + 1:
                self.levels.append([])
            self.levels[level + 1].append(node_hash(pair[0], pair[1]))
            level += 1
        return self.size - 1

    def leaf(self, index: int) -> bytes:
        return self.levels[0][index]

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all of them by default)."""
        size = self._size(size)
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]): the audit path from leaf ``index`` to the root."""
        size = self._size(size)
        if not 0 <= index < size:
            raise RefusedInput(f"leaf {index} is not in a tree of {size} leaves")
        return self._path(index, 0, size)

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[0:size]): that the tree of ``old_size`` is a prefix of this one."""
        size = self._size(size)
        if not 0 <= old_size <= size:
            raise RefusedInput(f"no consistency proof from size {old_size} to size {size}: "
                               "a log only grows")
        if old_size in (0, size):
            return []
        return self._subproof(old_size, 0, size, True)

    # -- the RFC's recursions, over leaf ranges [lo, hi) ---------------------------------

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise RefusedInput(f"the tree has {self.size} leaves, not {size}")
        return size

    def _hash(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:  # a perfect, aligned subtree: stored
            return self.levels[n.bit_length() - 1][lo // n]
        k = split_point(n)
        return node_hash(self._hash(lo, lo + k), self._hash(lo + k, hi))

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []
        k = split_point(hi - lo)
        if m < k:
            return [*self._path(m, lo, lo + k), self._hash(lo + k, hi)]
        return [*self._path(m - k, lo + k, hi), self._hash(lo, lo + k)]

    def _subproof(self, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [self._hash(lo, hi)]
        k = split_point(n)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, complete), self._hash(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self._hash(lo, lo + k)]


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    return Tree(leaf_hashes).root()


# -- verification: RFC 9162 2.1.3.2 and 2.1.4.2 ------------------------------------------


def root_from_inclusion_proof(index: int, size: int, leaf: bytes,
                              proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from leaf ``index`` of a tree of ``size``."""
    if not 0 <= index < size:
        raise ProofFailed(f"leaf index {index} is outside a tree of {size} leaves")
    _check_hash(leaf, "leaf hash")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_hash(p, "proof hash")
        if sn == 0:
            raise ProofFailed("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root_hash: bytes) -> None:
    """Raise ``ProofFailed`` unless leaf ``index`` with hash ``leaf`` is in the tree."""
    _check_hash(root_hash, "root hash")
    if root_from_inclusion_proof(index, size, leaf, proof) != root_hash:
        raise ProofFailed(f"leaf {index} is not in the tree of {size} leaves with that root")


def verify_consistency(old_size: int, size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """Raise ``ProofFailed`` unless the tree (old_size, old_root) is a prefix of (size,
    new_root). An empty old tree is a prefix of every tree; equal sizes need equal roots
    and an empty proof."""
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    if old_size > size or old_size < 0:
        raise ProofFailed(f"a tree of {size} leaves cannot follow one of {old_size}: "
                          "a log only grows")
    if old_size == size:
        if proof:
            raise ProofFailed("two trees of the same size need an empty consistency proof")
        if old_root != new_root:
            raise ProofFailed(f"two different roots for the same tree size {size}")
        return
    if old_size == 0:
        if proof:
            raise ProofFailed("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofFailed("the consistency proof is empty")
    for p in proof:
        _check_hash(p, "proof hash")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # the old tree is a perfect subtree of the new
        path.insert(0, old_root)
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofFailed("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("the consistency proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofFailed(f"the consistency proof does not lead to the old root at size "
                          f"{old_size}: the log's past was changed")
    if sr != new_root:
        raise ProofFailed(f"the tree of {size} leaves does not extend the tree of {old_size} "
                          "(the proof does not lead to its root)")


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofFailed(f"a {what} must be {HASH_SIZE} bytes")
