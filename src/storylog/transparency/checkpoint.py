"""C2SP checkpoints (c2sp.org/tlog-checkpoint): a log's signed tree head.

The note text is three or more non-empty lines::

    <origin>                 who issued it, e.g. news.example/storylog
    <tree size>              ASCII decimal, no leading zeros
    <root hash>              base64 of the RFC 6962 root of the tree of that size
    [<extension line> ...]   optional, opaque, not recommended

followed by the note's blank line and signature lines (see ``notes.py``). The log's key
name should match the origin; we require it, so a key of one log cannot vouch for another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from storylog.errors import VerificationFailed
from storylog.transparency.merkle import HASH_SIZE
from storylog.transparency.notes import (
    Note,
    Signer,
    UnverifiedNote,
    Verifier,
    b64decode,
    b64encode,
    open_note,
    parse,
    sign,
)

MAX_SIZE = 2**63 - 1  # sizes are uint64 on the wire; keep them within a signed int64
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class MalformedCheckpoint(VerificationFailed):
    """A note whose text is not a checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    """One tree head: the origin, the number of leaves, the root hash (32 bytes)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or _has_control(self.origin):
            raise MalformedCheckpoint("a checkpoint's origin is one non-empty line")
        if not 0 <= self.size <= MAX_SIZE:
            raise MalformedCheckpoint(f"tree size {self.size} is out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise MalformedCheckpoint(f"a root hash is {HASH_SIZE} bytes")
        if any(not line or _has_control(line) for line in self.extensions):
            raise MalformedCheckpoint("an extension line is one non-empty line")

    def body(self) -> str:
        """The note text: what the log signs and what witnesses cosign."""
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Read a checkpoint note text (without its signatures), refusing any deviation."""
        if not body.endswith("\n"):
            raise MalformedCheckpoint("a checkpoint's text ends with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise MalformedCheckpoint("a checkpoint is at least three non-empty lines: "
                                      "origin, tree size, root hash")
        origin, size, root = lines[:3]
        if not _DECIMAL.fullmatch(size) or int(size) > MAX_SIZE:
            raise MalformedCheckpoint(f"tree size {size[:30]!r} is not a decimal number")
        try:
            root_hash = b64decode(root)
        except ValueError:
            raise MalformedCheckpoint("the root hash is not base64") from None
        if len(root_hash) != HASH_SIZE or b64encode(root_hash) != root:
            raise MalformedCheckpoint(f"the root hash is not {HASH_SIZE} bytes in base64")
        return cls(origin, int(size), root_hash, tuple(lines[3:]))

    def sign(self, signer: Signer) -> str:
        """The signed checkpoint note. The signer's key name must be the origin."""
        if signer.name != self.origin:
            raise MalformedCheckpoint(f"the log's key is named {signer.name!r}, not after "
                                      f"the origin {self.origin!r}")
        return sign(self.body(), signer)


def open_checkpoint(note: str | bytes, log_keys: Iterable[Verifier],
                    origin: str | None = None) -> tuple[Checkpoint, Note]:
    """Verify a signed checkpoint with the log's key(s) and read it.

    Only keys named after the checkpoint's origin count (others' signatures, such as
    witnesses' cosignatures, stay in ``Note.unverified``). ``origin``, when given, is the
    log the caller expects. Raises the errors of ``notes.open_note`` and
    ``MalformedCheckpoint``."""
    parsed = parse(note)
    checkpoint = Checkpoint.parse(parsed.text)
    if origin is not None and checkpoint.origin != origin:
        raise MalformedCheckpoint(f"the checkpoint is from {checkpoint.origin!r}, "
                                  f"not from {origin!r}")
    given = list(log_keys)
    keys = [k for k in given if k.name == checkpoint.origin]
    if not keys:
        names = ", ".join(sorted({k.name for k in given})) or "none"
        raise UnverifiedNote(f"no key of the log {checkpoint.origin!r} was given "
                             f"(keys given: {names})", parsed)
    return checkpoint, open_note(note, keys)


def _has_control(text: str) -> bool:
    return any(c < " " for c in text)
