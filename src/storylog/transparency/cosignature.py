"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519) and a witness.

A cosignature is a note signature of type 0x04 over::

    cosignature/v1\\n
    time <POSIX seconds>\\n
    <the checkpoint's note text>

carried as ``— <witness name> base64(key ID || u64 timestamp || Ed25519 signature)``.
It says: at that time, the largest consistent tree this witness had seen for the origin
had this root. A newsroom that rewrites its past and re-signs everything cannot get a
witness that saw the old tree to cosign the new one; that is the point of witnesses.

``Witness`` follows the add-checkpoint rules of c2sp.org/tlog-witness: it keeps the last
checkpoint it cosigned per origin, and cosigns a new one only if the log's key signed
it, the caller knows the witness's latest size, and a consistency proof leads from the
old tree to the new one. The error classes carry the HTTP status the spec gives them.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature as _BadEd25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storylog.errors import Conflict, NotFound, RefusedInput, VerificationFailed
from storylog.transparency.checkpoint import Checkpoint, open_checkpoint
from storylog.transparency.merkle import verify_consistency
from storylog.transparency.notes import (
    COSIGNATURE_ED25519,
    Signature,
    Signer,
    Verifier,
    b64decode,
    b64encode,
    open_note,
    sign,
)

MAX_TIMESTAMP = 2**63 - 1
STATE_FORMAT = "storylog.witness-state.v1"


def cosigned_message(checkpoint_text: str | bytes, timestamp: int) -> bytes:
    text = checkpoint_text.encode() if isinstance(checkpoint_text, str) else checkpoint_text
    return b"cosignature/v1\ntime %d\n" % timestamp + text


class CosignatureVerifier(Verifier):
    """A witness's public key, for cosignatures (signature type 0x04)."""

    alg = COSIGNATURE_ED25519

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + 64:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            self._key.verify(signature[8:], cosigned_message(text, timestamp))
        except _BadEd25519:
            return False
        return True


class Cosigner(Signer):
    """A witness's private key. ``clock`` gives POSIX seconds (injectable for tests)."""

    alg = COSIGNATURE_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey,
                 clock: Callable[[], float] = time.time):
        super().__init__(name, private_key)
        self.clock = clock

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, Ed25519PrivateKey.generate())

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    def sign(self, text: bytes) -> bytes:
        timestamp = int(self.clock())
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise RefusedInput(f"cosignature time {timestamp} is out of range")
        return timestamp.to_bytes(8, "big") + self._key.sign(cosigned_message(text, timestamp))


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who, and when they said they saw the tree."""

    witness: str
    timestamp: int
    signature: Signature


def cosign(checkpoint_note: str, cosigner: Cosigner) -> str:
    """The cosignature line(s) of ``cosigner`` on a checkpoint note (its signatures are not
    checked here; ``Witness`` does that)."""
    from storylog.transparency.notes import parse

    signed = sign(parse(checkpoint_note).text, cosigner)
    return signed[signed.rindex("\n\n") + 2 :]


def verify_cosignatures(checkpoint_note: str | bytes,
                        witnesses: Iterable[CosignatureVerifier]) -> list[Cosignature]:
    """The cosignatures on a note by the given witnesses, each verified. Raises
    ``UnverifiedNote`` if none of them cosigned, ``InvalidSignature`` if one is bad."""
    note = open_note(checkpoint_note, witnesses)
    return [Cosignature(s.name, int.from_bytes(s.signature[:8], "big"), s)
            for s in note.signatures]


# -- the witness ---------------------------------------------------------------------------


class UnknownLog(NotFound):
    """The witness does not follow this origin (tlog-witness: 404)."""

    http_status = 404


class BadRequest(RefusedInput):
    """The old size is larger than the checkpoint's (tlog-witness: 400)."""

    http_status = 400


class OldSizeMismatch(Conflict):
    """The caller's old size is not the witness's latest (tlog-witness: 409); ``size`` is
    the witness's, so the caller can fetch the right consistency proof and retry."""

    http_status = 409

    def __init__(self, message: str, size: int):
        super().__init__(message)
        self.size = size


class SplitView(Conflict):
    """The log showed this witness two different trees: the same size with another root,
    or a smaller tree than one it already showed. Evidence of a rewritten log (409)."""

    http_status = 409


class Inconsistent(VerificationFailed):
    """The consistency proof does not lead from the witness's tree to the new one (422)."""

    http_status = 422


@dataclass(frozen=True)
class LogView:
    """The last checkpoint a witness cosigned for one origin."""

    size: int
    root_hash: bytes
    checkpoint: str  # the note as it was submitted: evidence, should the log ever lie

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "root_hash": b64encode(self.root_hash),
                "checkpoint": self.checkpoint}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LogView:
        return cls(int(data["size"]), b64decode(data["root_hash"]), str(data["checkpoint"]))


class Witness:
    """Keeps the latest checkpoint per log and cosigns only consistent growth.

    ``logs`` maps each origin followed to the log's verifier key(s). ``state`` is the
    witness's memory as plain data (``Witness.state_json()``); with ``state_path`` it is
    read from and written to that JSON file, written (atomically) before a cosignature
    is returned, as tlog-witness requires.
    """

    def __init__(self, cosigner: Cosigner, logs: Mapping[str, Iterable[Verifier]],
                 state: Mapping[str, Any] | None = None, state_path: Path | None = None):
        self.cosigner = cosigner
        self.logs = {origin: list(keys) for origin, keys in logs.items()}
        self.state_path = state_path
        if state is None and state_path is not None and state_path.exists():
            state = json.loads(state_path.read_text())
        self.views = self._read_state(state or {"format": STATE_FORMAT, "logs": {}})

    @staticmethod
    def _read_state(state: Mapping[str, Any]) -> dict[str, LogView]:
        if state.get("format") != STATE_FORMAT:
            raise RefusedInput(f"the witness state is not {STATE_FORMAT}")
        return {origin: LogView.from_json(view) for origin, view in state["logs"].items()}

    def state_json(self) -> dict[str, Any]:
        return {"format": STATE_FORMAT,
                "logs": {o: v.to_json() for o, v in sorted(self.views.items())}}

    def latest(self, origin: str) -> LogView | None:
        return self.views.get(origin)

    def add_checkpoint(self, checkpoint_note: str, old_size: int,
                       proof: Sequence[bytes]) -> str:
        """Check and cosign a checkpoint; returns the cosignature line(s) to append."""
        checkpoint = self._checked(checkpoint_note)
        seen = self.views.get(checkpoint.origin)
        self._refuse_split_view(checkpoint, seen)
        if old_size > checkpoint.size:
            raise BadRequest(f"old size {old_size} is larger than the checkpoint's "
                             f"{checkpoint.size}")
        known = seen.size if seen else 0
        if old_size != known:
            raise OldSizeMismatch(f"this witness's latest tree of {checkpoint.origin} has "
                                  f"{known} leaves, not {old_size}", known)
        old_root = seen.root_hash if seen else checkpoint.root_hash
        try:
            verify_consistency(old_size, checkpoint.size, old_root, checkpoint.root_hash, proof)
        except VerificationFailed as failure:
            raise Inconsistent(f"{checkpoint.origin}: the tree of {checkpoint.size} leaves is "
                               f"not an extension of the one of {old_size} this witness "
                               f"cosigned ({failure})") from None
        self.views[checkpoint.origin] = LogView(checkpoint.size, checkpoint.root_hash,
                                                checkpoint_note)
        self._save()
        return cosign(checkpoint_note, self.cosigner)

    def submit(self, request: str) -> str:
        """The tlog-witness ``add-checkpoint`` request body: ``old <size>``, the proof's
        base64 lines, a blank line, the checkpoint note."""
        old_size, proof, note = parse_add_checkpoint(request)
        return self.add_checkpoint(note, old_size, proof)

    def _checked(self, checkpoint_note: str) -> Checkpoint:
        from storylog.transparency.notes import parse

        origin = Checkpoint.parse(parse(checkpoint_note).text).origin
        if origin not in self.logs:
            raise UnknownLog(f"this witness does not follow the log {origin!r}")
        checkpoint, _ = open_checkpoint(checkpoint_note, self.logs[origin], origin)
        return checkpoint

    @staticmethod
    def _refuse_split_view(checkpoint: Checkpoint, seen: LogView | None) -> None:
        if seen is None:
            return
        if checkpoint.size < seen.size:
            raise SplitView(f"{checkpoint.origin} showed this witness a tree of "
                            f"{seen.size} leaves and now one of {checkpoint.size}: "
                            "a log never shrinks")
        if checkpoint.size == seen.size and checkpoint.root_hash != seen.root_hash:
            raise SplitView(f"{checkpoint.origin} showed this witness two different trees "
                            f"of {seen.size} leaves (a split view)")

    def _save(self) -> None:
        if self.state_path is None:
            return
        data = json.dumps(self.state_json(), indent=2, sort_keys=True).encode() + b"\n"
        directory = self.state_path.parent
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".witness-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.state_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], checkpoint_note: str) -> str:
    """A tlog-witness add-checkpoint body; storylog also ships consistency proofs so."""
    return "".join([f"old {old_size}\n", *(b64encode(h) + "\n" for h in proof), "\n",
                    checkpoint_note])


def parse_add_checkpoint(request: str) -> tuple[int, list[bytes], str]:
    head, sep, note = request.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise BadRequest("an add-checkpoint body starts with 'old <size>', then the proof "
                         "lines, a blank line and the checkpoint")
    size = lines[0][4:]
    if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise BadRequest(f"old size {size[:30]!r} is not a decimal number")
    if len(lines) - 1 > 63:
        raise BadRequest("a consistency proof has at most 63 hashes")
    try:
        proof = [b64decode(line) for line in lines[1:]]
    except ValueError as error:
        raise BadRequest(f"a consistency proof line is not base64: {error}") from None
    return int(size), proof, note
