#!/usr/bin/env python3
"""Check a storylog newsroom's public log without trusting storylog: one file, needing only
the Python standard library and the `cryptography` package (pip install cryptography).

    python3 standalone_verify.py checkpoint  CHECKPOINT --key VKEY [--witness VKEY ...]
    python3 standalone_verify.py record      RECORD.json
    python3 standalone_verify.py inclusion   RECORD.json PROOF.tlog-proof --key VKEY
    python3 standalone_verify.py consistency SAVED-CHECKPOINT PROOF --key VKEY

VKEY is the newsroom's note verifier key (name+keyid+base64), published on its site
and, better, obtained from somewhere else too. A witness's key (--witness) requires
that witness's cosignature on the checkpoint.

- checkpoint:  the checkpoint is signed by the key (and cosigned by each witness).
- record:      the record file's hash is its record's, and every update still shown
               opens the salted hash the record committed to.
- inclusion:   the record file checks, and its record is leaf INDEX of the tree the
               proof's checkpoint signs.
- consistency: the tree of the checkpoint you saved earlier is a prefix of the tree of
               the proof's (new) checkpoint: nothing published was changed or removed.

Exit status: 0 verified, 5 verification failed, 2 usage or unreadable input.

Formats: RFC 6962/9162 Merkle trees; C2SP signed-note, tlog-checkpoint, tlog-proof,
tlog-cosignature; a consistency proof is a C2SP tlog-witness add-checkpoint body.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519, COSIGNATURE = 0x01, 0x04
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
RECORD_FORMAT = "storylog.public-record.v1"
COMMITMENT = "storylog.update.v1"
SAFE_INTEGER = 2**53 - 1


class VerifyError(Exception):
    """The check failed; the message says what is wrong."""


# -- RFC 6962 / 9162 ------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _hashes(*values: bytes) -> None:
    if any(not isinstance(v, bytes) or len(v) != 32 for v in values):
        raise VerifyError("a hash is not 32 bytes")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        raise VerifyError(f"leaf {index} is outside a tree of {size} leaves")
    _hashes(leaf, *proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerifyError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerifyError("the inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes],
                     root: bytes) -> None:
    _hashes(root)
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise VerifyError(f"leaf {index} is not in the tree of {size} leaves")


def verify_consistency(old_size: int, size: int, old_root: bytes, new_root: bytes,
                       proof: list[bytes]) -> None:
    """RFC 9162 section 2.1.4.2, with its edge cases: equal sizes, an empty old tree."""
    _hashes(old_root, new_root, *proof)
    if not 0 <= old_size <= size:
        raise VerifyError(f"a tree of {size} leaves cannot follow one of {old_size}")
    if old_size == size:
        if proof or old_root != new_root:
            raise VerifyError(f"two different trees of {size} leaves")
        return
    if old_size == 0:
        if proof:
            raise VerifyError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise VerifyError("the consistency proof is empty")
    path = ([old_root] if old_size & (old_size - 1) == 0 else []) + list(proof)
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerifyError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerifyError("the consistency proof is too short")
    if fr != old_root:
        raise VerifyError(f"the log's past was changed: the tree of {old_size} leaves is "
                          "not a prefix of the new one")
    if sr != new_root:
        raise VerifyError(f"the tree of {size} leaves does not extend the tree of {old_size} "
                          "(the proof does not lead to its root)")


# -- C2SP signed notes and checkpoints ----------------------------------------------------


def b64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise VerifyError(f"{text[:40]!r} is not base64") from None


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _key_id(name: str, alg: int, public_key: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def parse_vkey(vkey: str) -> tuple[str, int, int, bytes]:
    """(name, key ID, signature type, public key) of a verifier key string."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3 or len(parts[1]) != 8 or not _valid_name(parts[0]) or any(
            c not in "0123456789abcdefABCDEF" for c in parts[1]):
        raise VerifyError("a verifier key reads <name>+<8 hex digits>+<base64>")
    raw = b64(parts[2])
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE):
        raise VerifyError("the verifier key is not an Ed25519 note or cosignature key")
    if _key_id(parts[0], raw[0], raw[1:]) != int(parts[1], 16):
        raise VerifyError("the verifier key's ID does not match its name and key")
    return parts[0], int(parts[1], 16), raw[0], raw[1:]


def split_note(note: str) -> tuple[str, list[tuple[str, int, bytes]]]:
    """A signed note's text and its signatures as (name, key ID, signature bytes)."""
    if any(c < " " and c != "\n" for c in note):
        raise VerifyError("malformed note: a control character")
    at = note.rfind("\n\n")
    if at < 0 or not note.endswith("\n") or at + 2 >= len(note):
        raise VerifyError("malformed note: no signature block")
    text, lines = note[: at + 1], note[at + 2 : -1].split("\n")
    if len(lines) > 100:
        raise VerifyError("malformed note: too many signatures")
    signatures = []
    for line in lines:
        name, _, encoded = line.removeprefix("— ").partition(" ")
        raw = b64(encoded) if line.startswith("— ") and encoded else b""
        if len(raw) < 5 or not _valid_name(name):
            raise VerifyError(f"malformed note: bad signature line {line[:50]!r}")
        signatures.append((name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, signatures


def _signed_by(text: str, signatures: list[tuple[str, int, bytes]], vkey: str) -> int | None:
    """None if the key signed the text; the cosignature's time for a witness key.
    Raises if the key did not sign, or signed something else."""
    name, kid, alg, public = parse_vkey(vkey)
    mine = [sig for n, k, sig in signatures if (n, k) == (name, kid)]
    if not mine:
        raise VerifyError(f"no signature by {name}+{kid:08x}")
    key = Ed25519PublicKey.from_public_bytes(public)
    sig, message, stamp = mine[0], text.encode(), None
    if alg == COSIGNATURE:
        if len(sig) != 72:
            raise VerifyError(f"the cosignature of {name} is malformed")
        stamp = int.from_bytes(sig[:8], "big")
        message, sig = b"cosignature/v1\ntime %d\n" % stamp + message, sig[8:]
    try:
        key.verify(sig, message)
    except InvalidSignature:
        raise VerifyError(f"the signature by {name}+{kid:08x} does not verify") from None
    return stamp


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    lines = text[:-1].split("\n") if text.endswith("\n") else []
    if len(lines) < 3 or not all(lines):
        raise VerifyError("a checkpoint is origin, tree size, root hash")
    size = lines[1]
    if not (size.isascii() and size.isdigit()) or (size != "0" and size[0] == "0"):
        raise VerifyError(f"tree size {size[:20]!r} is not a decimal number")
    root = b64(lines[2])
    if len(root) != 32 or base64.b64encode(root).decode() != lines[2]:
        raise VerifyError("the root hash is not 32 bytes in base64")
    return lines[0], int(size), root


def verify_checkpoint(note: str, vkey: str, witnesses: tuple[str, ...] = ()
                      ) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint signed by the log's key (named after the origin)
    and cosigned by every witness key given."""
    text, signatures = split_note(note)
    origin, size, root = parse_checkpoint(text)
    if parse_vkey(vkey)[0] != origin:
        raise VerifyError(f"the key is not the key of the log {origin!r}")
    _signed_by(text, signatures, vkey)
    for witness in witnesses:
        _signed_by(text, signatures, witness)
    return origin, size, root


# -- proofs ---------------------------------------------------------------------------------


def parse_tlog_proof(text: str) -> tuple[int, list[bytes], str]:
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != TLOG_PROOF_HEADER:
        raise VerifyError(f"an inclusion proof starts with {TLOG_PROOF_HEADER}")
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest.pop(0)
    index = rest.pop(0)[6:] if rest and rest[0].startswith("index ") else ""
    if not (index.isascii() and index.isdigit()) or (index != "0" and index[0] == "0"):
        raise VerifyError("an inclusion proof names its leaf: 'index <n>'")
    return int(index), [b64(line) for line in rest], note


def parse_consistency_proof(text: str) -> tuple[int, list[bytes], str]:
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    old = lines[0][4:] if lines[0].startswith("old ") else ""
    if not sep or not (old.isascii() and old.isdigit()) or (old != "0" and old[0] == "0"):
        raise VerifyError("a consistency proof starts with 'old <size>'")
    return int(old), [b64(line) for line in lines[1:]], note


def verify_record_inclusion(record_file: bytes, proof_text: str, vkey: str,
                            witnesses: tuple[str, ...] = ()) -> tuple[int, int]:
    """(leaf index, tree size): the record file checks (``check_record``) and its record
    is in the signed tree."""
    check_record(record_file)
    leaf = record_leaf(record_file)
    index, proof, note = parse_tlog_proof(proof_text)
    _, size, root = verify_checkpoint(note, vkey, witnesses)
    verify_inclusion(index, size, leaf, proof, root)
    return index, size


def verify_checkpoint_consistency(saved_note: str, proof_text: str, vkey: str,
                                  witnesses: tuple[str, ...] = ()) -> tuple[int, int]:
    """(old size, new size): the saved checkpoint's tree is a prefix of the new one's."""
    origin, old_size, old_root = verify_checkpoint(saved_note, vkey)
    claimed, proof, note = parse_consistency_proof(proof_text)
    new_origin, size, new_root = verify_checkpoint(note, vkey, witnesses)
    if new_origin != origin:
        raise VerifyError(f"checkpoints of two logs: {origin!r} and {new_origin!r}")
    if claimed != old_size:
        raise VerifyError(f"the proof starts at size {claimed}, your checkpoint has {old_size}")
    verify_consistency(old_size, size, old_root, new_root, proof)
    return old_size, size


# -- public records (storylog.public-record.v1) ----------------------------------------


def canonical(value: Any) -> bytes:
    """RFC 8785 for the JSON a record holds: ASCII keys, integers below 2^53, no floats.
    For those, sorted keys and no spaces give RFC 8785's bytes (storylog's tests check)."""
    _canonical_only(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _canonical_only(value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if not key.isascii():
                raise VerifyError("a record key is not ASCII")
            _canonical_only(inner)
    elif isinstance(value, list):
        for inner in value:
            _canonical_only(inner)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        if abs(value) > SAFE_INTEGER:
            raise VerifyError("a record number is beyond 2^53")
    else:
        raise VerifyError("a record holds a number that is not an integer")


def _load(record_file: bytes) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in pairs}) != len(pairs):
            raise VerifyError("a record repeats a key")
        return dict(pairs)

    try:
        data = json.loads(record_file.decode("utf-8"), object_pairs_hook=no_duplicates,
                          parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise VerifyError(f"the record file is not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("record"), dict) or \
            data["record"].get("format") != RECORD_FORMAT:
        raise VerifyError(f"not a {RECORD_FORMAT} file")
    return data


def _no_constant(name: str) -> Any:
    raise VerifyError(f"a record holds {name}, which JSON does not have")


def record_leaf(record_file: bytes) -> bytes:
    """The record's leaf hash, checked against the hash the file states."""
    data = _load(record_file)
    leaf = leaf_hash(canonical(data["record"]))
    if data.get("hash") != leaf.hex():
        raise VerifyError(f"the record's hash is {leaf.hex()}, the file says {data.get('hash')}")
    return leaf


def check_record(record_file: bytes) -> list[str]:
    """Check the record's hash and every opening; returns what it saw, update by update."""
    data = _load(record_file)
    record_leaf(record_file)
    record = data["record"]
    committed, openings = record.get("updates"), data.get("openings")
    if not isinstance(committed, list) or not isinstance(openings, list) or \
            [o.get("id") for o in openings] != [u.get("id") for u in committed]:
        raise VerifyError("the openings do not list the committed updates in order")
    seen = []
    for opening, update in zip(openings, committed, strict=True):
        if opening.get("withdrawn"):
            w = opening["withdrawn"]
            seen.append(f"{update['id']}: withdrawn ({w.get('reason')}, {w.get('grounds')}, "
                        f"{w.get('at')})")
            continue
        salt, view = opening.get("salt"), opening.get("view")
        if not isinstance(salt, str) or not isinstance(view, dict):
            raise VerifyError(f"update {update['id']}: no salt and view to check")
        preimage = {"commit": COMMITMENT, "salt": salt, "view": view}
        if hashlib.sha256(canonical(preimage)).hexdigest() != update.get("hash"):
            raise VerifyError(f"update {update['id']} is not what was committed")
        seen.append(f"{update['id']}: as committed")
    return seen


# -- command line -----------------------------------------------------------------------------


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as error:
        raise SystemExit(f"cannot read {path}: {error.strerror}") from None


def _text(path: str) -> str:
    try:
        return _read(path).decode("utf-8")
    except UnicodeDecodeError:
        raise VerifyError(f"{path} is not UTF-8 text") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="check", required=True)
    for name, files in (("checkpoint", ["checkpoint"]), ("record", ["record"]),
                        ("inclusion", ["record", "proof"]),
                        ("consistency", ["saved_checkpoint", "proof"])):
        p = sub.add_parser(name)
        for f in files:
            p.add_argument(f)
        if name != "record":
            p.add_argument("--key", required=True, help="the log's verifier key")
            p.add_argument("--witness", action="append", default=[],
                           help="a witness's verifier key whose cosignature is required")
    args = parser.parse_args(argv)
    try:
        print(_run(args))
    except VerifyError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 5
    return 0


def _run(args: argparse.Namespace) -> str:
    if args.check == "checkpoint":
        origin, size, root = verify_checkpoint(_text(args.checkpoint), args.key,
                                               tuple(args.witness))
        return f"OK: {origin}, {size} records, root {base64.b64encode(root).decode()}"
    if args.check == "record":
        return "OK: " + "; ".join(check_record(_read(args.record)) or ["no updates"])
    if args.check == "inclusion":
        index, size = verify_record_inclusion(_read(args.record), _text(args.proof), args.key,
                                              tuple(args.witness))
        return f"OK: the record is entry {index} of the signed log of {size} records"
    old, new = verify_checkpoint_consistency(_text(args.saved_checkpoint), _text(args.proof),
                                             args.key, tuple(args.witness))
    return f"OK: the log of {old} records grew to {new} records without changing any"


if __name__ == "__main__":
    sys.exit(main())
