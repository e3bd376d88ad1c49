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


@dataclass(frozen=True)
class ChainHead:
    id: str
    name: str
    position: int
    head: str


def keygen(path: Path) -> Path:
    """Write a new private key (PEM, mode 600) and its public key beside it (.pub)."""
    public_path = path.with_name(path.name + ".pub")
    for target in (path, public_path):
        if target.exists():
            raise RefusedInput(f"{target} exists; storylog will not overwrite a key")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(private)
    public_path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return public_path


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
    if not path.exists():
        return []
    lines = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
            line["checkpoint"]["seq"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise VerificationFailed(f"{path} line {number} is not a checkpoint") from None
        lines.append(line)
    return lines


def checkpoint_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def sign(chains: list[ChainHead], key: Ed25519PrivateKey, log: Path) -> dict[str, Any]:
    """Sign the current heads and append the checkpoint to the log (fsync'd)."""
    previous = read_log(log)
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
    with open(log, "ab") as out:
        out.write(orjson.dumps(line) + b"\n")
        out.flush()
        os.fsync(out.fileno())
    return line


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
