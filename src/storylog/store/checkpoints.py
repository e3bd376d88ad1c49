"""Signed checkpoints: the heads of every chain, signed with a key kept outside the store.

A hash chain alone shows corruption, not a rewrite by someone who can write the
database: they can recompute every hash. A checkpoint signed with an Ed25519 key
the database never sees, published by the newsroom and kept by others, pins each
chain's position and head hash; `verify --checkpoints` then proves the store still
holds, unaltered, everything every checkpoint covered.

A checkpoint log is NDJSON, one line a checkpoint::

    {"checkpoint": {"type": "storylog-checkpoint", "seq": 3, "at": ..., "prev": hex,
                    "chains": [{"id", "name", "position", "head"}, ...], "root": hex},
     "key": hex (SHA-256 of the public key), "signature": base64}

``root`` is a Merkle root over the chains (leaves in id order), so a reader can
keep one hash; ``prev`` is the previous checkpoint's hash, so lines cannot be
dropped or reordered unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from storylog.errors import RefusedInput, VerificationFailed
from storylog.store.canonical import GENESIS, canonical, sha256_hex

# What a store knows was signed: seq -> (checkpoint hash, where that is known from).
Recorded = dict[int, tuple[str, str]]


@dataclass(frozen=True)
class ChainHead:
    id: str
    name: str
    position: int
    head: str


def keygen(path: Path) -> Path:
    """Write a new private key (PEM, mode 600) and its public key beside it (.pub).

    Both are created, never opened: a file or symlink (even a dangling one) already
    at either path is refused, so a key is never written through a link."""
    public_path = path.with_name(path.name + ".pub")
    for target in (path, public_path):
        if target.exists() or target.is_symlink():
            kind = "a symlink" if target.is_symlink() else "a file"
            raise RefusedInput(f"{target} exists ({kind}); storylog will not overwrite a key")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    _create(path, private, 0o600)
    try:
        _create(public_path, public, 0o644)
    except RefusedInput:
        path.unlink()  # no private key without its public half
        raise
    return public_path


def _create(path: Path, data: bytes, mode: int) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
    except OSError as error:
        raise RefusedInput(f"cannot write {path}: {error.strerror or error}; "
                           "give a path in a folder that exists and you can write") from None


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise RefusedInput(f"cannot read a private key from {path}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise RefusedInput(f"{path} is not an Ed25519 key; make one with `storylog keygen`")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise RefusedInput(f"cannot read a public key from {path}: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise RefusedInput(f"{path} is not an Ed25519 public key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def merkle_root(leaves: Iterable[str]) -> str:
    """RFC 6962-style: leaf = H(0x00 || leaf), node = H(0x01 || left || right)."""
    level = [hashlib.sha256(b"\x00" + bytes.fromhex(leaf)).digest() for leaf in leaves]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        paired = []
        for i in range(0, len(level) - 1, 2):
            paired.append(hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest())
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()


def leaf(chain: ChainHead) -> str:
    return sha256_hex({"id": chain.id, "position": chain.position, "head": chain.head})


def read_log(path: Path) -> list[dict[str, Any]]:
    """The checkpoints of a log, each checked for shape (not yet for its signature)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise RefusedInput(f"cannot read the checkpoint log {path}: "
                           f"{error.strerror or error}") from None
    lines = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
            problem = _shape_problem(line)
        except orjson.JSONDecodeError:
            problem = "it is not JSON"
        if problem:
            raise VerificationFailed(f"{path} line {number} is not a checkpoint: {problem}")
        lines.append(line)
    return lines


def _shape_problem(line: Any) -> str | None:
    if not isinstance(line, dict) or not isinstance(line.get("checkpoint"), dict):
        return "expected an object with a checkpoint"
    body = line["checkpoint"]
    if not all(isinstance(line.get(k), str) for k in ("key", "signature")):
        return "its key and signature must be text"
    if type(body.get("seq")) is not int or not isinstance(body.get("prev"), str):
        return "its seq must be a whole number and its prev a hash"
    chains = body.get("chains")
    if not isinstance(chains, list) or not all(
            isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("name"), str)
            and type(c.get("position")) is int and isinstance(c.get("head"), str)
            for c in chains):
        return "its chains must each hold an id, a name, a position and a head"
    return None


def checkpoint_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def sign(chains: list[ChainHead], key: Ed25519PrivateKey, log: Path,
         recorded: Recorded | None = None) -> dict[str, Any]:
    """Sign the current heads and append the checkpoint to the log (fsync'd).

    ``recorded`` is what the store itself knows was signed (its own record, and what
    published versions pin): the log must hold all of it, so that a missing or truncated
    log is never taken for a new one and the sequence restarted over signed history."""
    previous = read_log(log)
    missing = missing_from_log(previous, recorded or {}, log)
    if missing:
        raise RefusedInput(
            f"{missing[0]}; storylog will not restart or fork the sequence: point --log at "
            f"the newsroom's checkpoint log, the one holding checkpoints 1 to "
            f"{max(recorded or {})}")
    body = {
        "type": "storylog-checkpoint",
        "seq": len(previous) + 1,
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "prev": checkpoint_hash(previous[-1]["checkpoint"]) if previous else GENESIS,
        "chains": [vars(c) for c in sorted(chains, key=lambda c: c.id)],
        "root": merkle_root(leaf(c) for c in sorted(chains, key=lambda c: c.id)),
    }
    line = {
        "checkpoint": body,
        "key": key_id(key.public_key()),
        "signature": base64.b64encode(key.sign(canonical(body))).decode("ascii"),
    }
    try:
        with open(log, "ab") as out:
            out.write(orjson.dumps(line) + b"\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        raise RefusedInput(f"cannot write the checkpoint log {log}: "
                           f"{error.strerror or error}; nothing was signed") from None
    return line


def missing_from_log(lines: list[dict[str, Any]], recorded: Recorded,
                     log: Path) -> list[str]:
    """Each checkpoint the store knows was signed that the log does not hold as signed."""
    held = {line["checkpoint"]["seq"]: checkpoint_hash(line["checkpoint"]) for line in lines}
    have = f"it holds checkpoints up to {max(held)}" if held else "it holds none"
    problems = []
    for seq, (digest, why) in sorted(recorded.items()):
        if held.get(seq) == digest:
            continue
        what = "holds another checkpoint in its place" if seq in held else "lacks it"
        problems.append(f"checkpoint {seq} is missing from {log}: {why}, but the log "
                        f"{what} ({have}); it was truncated, replaced or lost")
    return problems


def check_log(lines: list[dict[str, Any]], public: Ed25519PublicKey,
              heads: dict[str, dict[int, str]]) -> list[str]:
    """Everything wrong between a checkpoint log and the store's chains.

    ``heads`` maps chain id to {position: stored hash} for chains that verify
    up to that position (a broken chain's later positions are left out).
    """
    problems = []
    prev = GENESIS
    for expected_seq, line in enumerate(lines, start=1):
        body = line["checkpoint"]
        seq = body.get("seq")
        try:
            public.verify(base64.b64decode(line["signature"]), canonical(body))
        except (InvalidSignature, ValueError, KeyError):
            problems.append(f"checkpoint {seq}: its signature does not verify with this key")
            continue
        if seq != expected_seq or body.get("prev") != prev:
            problems.append(f"checkpoint {seq}: does not follow checkpoint {expected_seq - 1} "
                            "(a checkpoint was removed, reordered or inserted)")
        prev = checkpoint_hash(body)
        for chain in body["chains"]:
            problem = _check_chain(seq, chain, heads.get(chain["id"], {}))
            if problem:
                problems.append(problem)
    return problems


def _check_chain(seq: int, chain: dict[str, Any], stored: dict[int, str]) -> str | None:
    name, position = chain["name"], chain["position"]
    if not stored:
        return f"checkpoint {seq}: {name} is missing from the store (it had {position} events)"
    if position not in stored:
        top = max(stored) if stored else 0
        return (f"checkpoint {seq}: {name} event {position} is gone or broken (the store "
                f"verifies up to {top}): events were deleted or altered")
    if stored[position] != chain["head"]:
        return (f"checkpoint {seq}: {name} event {position} no longer has the hash that was "
                "signed: the history was rewritten")
    return None
