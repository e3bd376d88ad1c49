"""Proof files that outside tools read, and the checks that tie them to checkpoints.

- An inclusion proof is a c2sp.org/tlog-proof file (``.tlog-proof``)::

      c2sp.org/tlog-proof@v1
      [extra <base64>]
      index <leaf index>
      <base64 hash>          one per line, from the leaf's sibling up
      ...
      <blank line>
      <the signed checkpoint, verbatim>

- A consistency proof is the body of c2sp.org/tlog-witness's add-checkpoint request
  (``old <size>``, the proof's hashes in base64, a blank line, the new checkpoint), so
  the very file a newsroom publishes can be handed to a witness as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storylog.errors import VerificationFailed
from storylog.transparency.checkpoint import Checkpoint, open_checkpoint
from storylog.transparency.cosignature import format_add_checkpoint, parse_add_checkpoint
from storylog.transparency.merkle import verify_consistency, verify_inclusion
from storylog.transparency.notes import Verifier, b64decode, b64encode

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63


class MalformedProof(VerificationFailed):
    """A proof file that does not follow its format."""


@dataclass(frozen=True)
class InclusionProof:
    """A leaf's index, its audit path, and the signed checkpoint it leads to."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str  # the signed note
    extra: bytes | None = None

    def format(self) -> str:
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines += [b64encode(h) for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str) -> InclusionProof:
        head, sep, checkpoint = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or lines[0] != TLOG_PROOF_HEADER:
            raise MalformedProof(f"an inclusion proof starts with {TLOG_PROOF_HEADER}")
        extra = None
        rest = lines[1:]
        if rest and rest[0].startswith("extra "):
            extra = _b64(rest.pop(0)[6:])
        if not rest or not rest[0].startswith("index ") or not _decimal(rest[0][6:]):
            raise MalformedProof("an inclusion proof names its leaf: 'index <n>'")
        index = int(rest.pop(0)[6:])
        if len(rest) > MAX_PROOF_HASHES:
            raise MalformedProof(f"an inclusion proof has at most {MAX_PROOF_HASHES} hashes")
        return cls(index, tuple(_b64(line) for line in rest), checkpoint, extra)

    def verify(self, leaf_hash: bytes, log_keys: Iterable[Verifier],
               origin: str | None = None) -> Checkpoint:
        """Check the checkpoint's signature, then the leaf's inclusion; returns the
        checkpoint. Raises ``VerificationFailed`` (or a subclass) otherwise."""
        checkpoint, _ = open_checkpoint(self.checkpoint, log_keys, origin)
        verify_inclusion(self.index, checkpoint.size, leaf_hash, self.hashes,
                         checkpoint.root_hash)
        return checkpoint


@dataclass(frozen=True)
class ConsistencyProof:
    """That the tree of ``old_size`` leaves is a prefix of the new checkpoint's tree."""

    old_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str  # the new, signed checkpoint

    def format(self) -> str:
        return format_add_checkpoint(self.old_size, self.hashes, self.checkpoint)

    @classmethod
    def parse(cls, text: str) -> ConsistencyProof:
        try:
            old_size, hashes, note = parse_add_checkpoint(text)
        except Exception as error:  # the witness's BadRequest: here, a bad file
            raise MalformedProof(str(error)) from None
        return cls(old_size, tuple(hashes), note)

    def verify(self, old_checkpoint: str, log_keys: Iterable[Verifier],
               origin: str | None = None) -> tuple[Checkpoint, Checkpoint]:
        """Check both checkpoints' signatures, that they are of the same log, and that the
        old tree is a prefix of the new one; returns (old, new)."""
        keys = list(log_keys)
        old, _ = open_checkpoint(old_checkpoint, keys, origin)
        new, _ = open_checkpoint(self.checkpoint, keys, old.origin)
        if old.size != self.old_size:
            raise MalformedProof(f"the proof starts at size {self.old_size}, the saved "
                                 f"checkpoint has {old.size} leaves")
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, self.hashes)
        return old, new


def consistent(old: Checkpoint, new: Checkpoint, hashes: Sequence[bytes]) -> None:
    """The Merkle check alone, for checkpoints already opened."""
    if old.origin != new.origin:
        raise VerificationFailed(f"checkpoints of two logs: {old.origin!r}, {new.origin!r}")
    verify_consistency(old.size, new.size, old.root_hash, new.root_hash, hashes)


def _decimal(text: str) -> bool:
    return text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))


def _b64(text: str) -> bytes:
    try:
        return b64decode(text)
    except ValueError as error:
        raise MalformedProof(str(error)) from None
