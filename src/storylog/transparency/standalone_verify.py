#!/usr/bin/env python3
"""Check a storylog newsroom's public log without trusting storylog: one file, needing only
the Python standard library and the `cryptography` package (pip install cryptography).

    python3 standalone_verify.py checkpoint  CHECKPOINT --key VKEY [--witness VKEY ...]
    python3 standalone_verify.py record      RECORD.json
    python3 standalone_verify.py inclusion   RECORD.json PROOF.tlog-proof --key VKEY
    python3 standalone_verify.py consistency SAVED-CHECKPOINT PROOF --key VKEY
    python3 standalone_verify.py site        FOLDER-OR-URL [--key VKEY] [--since SAVED]
                                             [--witness VKEY ...] [--json]

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
- site:        all of it for a whole site (a folder, or an address fetched over HTTP):
               every file against the newsroom's signed list, every version page
               against its record, every record's inclusion, each story's chain, every
               earlier checkpoint's consistency, and yours (--since). Failures name
               the file and what is wrong.

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
import os
import posixpath
import re
import sys
from html.parser import HTMLParser
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
            seen.append(f"{update['id']}: removed on {w.get('grounds') or 'unstated'} "
                        f"grounds, {str(w.get('at'))[:10]} ({w.get('reason')})")
            continue
        salt, view = opening.get("salt"), opening.get("view")
        if not isinstance(salt, str) or not isinstance(view, dict):
            raise VerifyError(f"update {update['id']}: no salt and view to check")
        preimage = {"commit": COMMITMENT, "salt": salt, "view": view}
        if hashlib.sha256(canonical(preimage)).hexdigest() != update.get("hash"):
            raise VerifyError(f"update {update['id']} is not what was committed")
        seen.append(f"{update['id']}: as committed")
    return seen


# -- a whole site ------------------------------------------------------------------------------

WELL_KNOWN = ".well-known/storylog/"
MANIFEST_HEADER = "storylog.site-manifest.v1"
SITE_MARKER = ".storylog-site"  # storylog export's own marker file: not part of the site
_RECORD_PATH = re.compile(r"\.well-known/storylog/records/([^/]+)/v([1-9][0-9]*)\.json")
_SIZE_PATH = re.compile(r"\.well-known/storylog/(checkpoints|consistency)/(0|[1-9][0-9]*)")


class Site:
    """The files of a published site: a folder, or an http(s) address (fetched with the
    standard library, exactly the same files)."""

    def __init__(self, where: str, timeout: float = 30.0):
        self.where = where
        self.timeout = timeout
        self.http = where.startswith(("http://", "https://"))
        if self.http:
            self.base = where if where.endswith("/") else where + "/"
        elif not os.path.isdir(where):
            raise OSError(f"{where} is not a folder or an http(s) address")

    def get(self, path: str) -> bytes | None:
        """The file's bytes, or None if the site has no such file."""
        if self.http:
            from urllib.error import HTTPError, URLError
            from urllib.parse import quote
            from urllib.request import urlopen

            try:
                with urlopen(self.base + quote(path), timeout=self.timeout) as response:
                    return bytes(response.read())
            except HTTPError as error:
                if error.code in (404, 410):
                    return None
                raise OSError(f"{self.base}{path}: HTTP {error.code}") from None
            except URLError as error:
                raise OSError(f"cannot fetch {self.base}{path}: {error.reason}") from None
        full = os.path.join(self.where, *path.split("/"))
        if not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def listing(self) -> list[str] | None:
        """Every file in the folder (None over HTTP: a web site cannot be listed)."""
        if self.http:
            return None
        found = []
        for root, _, names in os.walk(self.where):
            for name in names:
                rel = os.path.relpath(os.path.join(root, name), self.where)
                found.append(rel.replace(os.sep, "/"))
        return sorted(found)


class Report:
    def __init__(self, where: str):
        self.where = where
        self.problems: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.origin: str | None = None
        self.size: int | None = None
        self.records = 0
        self.pages = 0
        self.files = 0

    def fail(self, file: str, problem: str) -> None:
        self.problems.append((file, problem))

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"site": self.where, "verified": self.ok, "origin": self.origin,
                "size": self.size, "files": self.files, "records": self.records,
                "pages": self.pages, "notes": self.notes,
                "problems": [{"file": f, "problem": p} for f, p in self.problems]}

    def text(self) -> str:
        if self.ok:
            head = (f"OK: {self.where}: {self.files} files as signed, {self.pages} pages "
                    f"match their records, {self.records} records in the log "
                    f"{self.origin} of {self.size} records")
        else:
            head = f"FAILED: {self.where}: {len(self.problems)} problem(s)"
        lines = [head] + [f"  {f}: {p}" for f, p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


class _Page(HTMLParser):
    """What a storylog page shows that its record commits: headline, standfirst, and
    each update's id, whether it was removed, and its paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.records: list[tuple[str, str]] = []  # (href, hash) named by the page
        self.story = False
        self.headline: str | None = None
        self.standfirst: str | None = None
        self.updates: list[dict[str, Any]] = []
        self._stack: list[tuple[str, str]] = []  # (tag, role in the page)
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        role = ""
        if tag == "a" and "data-storylog-record" in a:
            self.records.append((a.get("href", ""), a["data-storylog-record"]))
        if tag == "article" and "story" in classes:
            self.story = True
        elif tag == "article" and "update" in classes and a.get("id", "").startswith("u-"):
            self.updates.append({"id": a["id"][2:], "removed": "taken-down" in classes,
                                 "paragraphs": []})
            role = "update"
        elif tag == "h1" and self.story and self.headline is None:
            role, self._text = "headline", []
        elif tag == "p" and "standfirst" in classes and self.standfirst is None:
            role, self._text = "standfirst", []
        elif tag == "div" and "body" in classes and self.updates:
            role = "body"
        elif tag == "p" and self._inside("body") and not {"vh", "notice"} & set(classes):
            role, self._text = "paragraph", []
        if tag not in ("br", "img", "meta", "link", "hr", "input", "wbr"):
            self._stack.append((tag, role))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, role = self._stack.pop()
            if role and self._text is not None and role in ("headline", "standfirst",
                                                             "paragraph"):
                text = "".join(self._text)
                if role == "headline":
                    self.headline = text
                elif role == "standfirst":
                    self.standfirst = text
                else:
                    self.updates[-1]["paragraphs"].append(text.strip())
                self._text = None
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def _inside(self, role: str) -> bool:
        return any(r == role for _, r in self._stack)


def _resolve(page: str, href: str) -> str:
    href = href.split("#", 1)[0]
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), href))
    return joined.lstrip("/")


def _page_against_record(page: _Page, data: dict[str, Any],
                         notes: list[str] | None = None) -> str | None:
    """What the page shows that its record does not say, or None. An update whose
    opening the newsroom withdrew (the record says when and on what grounds) and that the
    page still shows, changed (a source since protected), cannot be checked: ``notes``
    gets a line saying so."""
    record = data["record"]
    if page.headline != record.get("headline"):
        return f"its headline is not the one in version {record.get('version')}'s record"
    if (page.standfirst or None) != record.get("standfirst"):
        return f"its standfirst is not the one in version {record.get('version')}'s record"
    shown = [u["id"] for u in page.updates]
    committed = [u.get("id") for u in record.get("updates", [])]
    if shown != committed:
        return "it does not show the updates its record lists, in their order"
    for u, opening in zip(page.updates, data.get("openings", []), strict=True):
        view = opening.get("view") or {}
        withdrawn = opening.get("withdrawn")
        if withdrawn and not u["removed"]:
            if notes is not None:
                notes.append(f"update {u['id']} of {record.get('story')} "
                             f"v{record.get('version')} is shown changed and cannot be "
                             f"checked: its opening was withdrawn on "
                             f"{withdrawn.get('grounds')} grounds, "
                             f"{str(withdrawn.get('at'))[:10]}")
            continue
        removed = bool(withdrawn) or bool(view.get("removed"))
        if removed != u["removed"]:
            what = "shows" if not u["removed"] else "hides"
            return f"it {what} update {u['id']}, which its record says was " \
                   f"{'removed' if removed else 'published'}"
        if removed:
            continue
        body = view.get("body")
        expected = [] if body is None else body.split("\n")
        if u["paragraphs"] != expected:
            return f"update {u['id']} is not the text its record committed"
    return None


def check_site(site: Site, key: str | None = None, since: str | None = None,
               witnesses: tuple[str, ...] = ()) -> Report:
    """Every check a reader can make of a site; the report names each failing file."""
    report = Report(site.where)
    wk = WELL_KNOWN
    site_key = site.get(wk + "key.vkey")
    if site_key is None:
        report.fail(wk + "key.vkey", "missing: the site publishes no public log key")
    if key is None:
        if site_key is None:
            return report
        key = site_key.decode("utf-8", "replace").strip()
        report.notes.append("checked with the key the site itself publishes; give --key "
                            "(learnt elsewhere) to check who signed it")
    elif site_key is not None and site_key.decode("utf-8", "replace").strip() != key.strip():
        report.fail(wk + "key.vkey", "is not the key you gave")
    try:
        parse_vkey(key)
    except VerifyError as error:
        report.fail("--key", str(error))
        return report
    # the checkpoint
    note_bytes = site.get(wk + "checkpoint")
    origin = size = root = None
    if note_bytes is None:
        report.fail(wk + "checkpoint", "missing")
    else:
        try:
            note = note_bytes.decode("utf-8")
            origin, size, root = verify_checkpoint(note, key, witnesses)
            report.origin, report.size = origin, size
        except (VerifyError, UnicodeDecodeError) as error:
            report.fail(wk + "checkpoint", str(error))
    # the signed list of files
    listed = _check_manifest(site, key, origin, size, report)
    # records and their inclusion
    stories: dict[str, list[tuple[int, dict[str, Any], str, int, str]]] = {}
    record_data: dict[str, dict[str, Any]] = {}
    for path in listed:
        m = _RECORD_PATH.fullmatch(path)
        if not m:
            continue
        data = site.get(path)
        if data is None:
            continue  # reported by the manifest check
        try:
            check_record(data)
            loaded = _load(data)
            record = loaded["record"]
            if (record.get("story"), record.get("version")) != (m.group(1), int(m.group(2))):
                raise VerifyError(f"it holds the record of {record.get('story')} "
                                  f"v{record.get('version')}, not of {m.group(1)} "
                                  f"v{m.group(2)}")
            proof_path = f"{wk}proofs/{m.group(1)}/v{m.group(2)}.tlog-proof"
            proof = site.get(proof_path)
            if proof is None:
                raise VerifyError(f"its inclusion proof {proof_path} is missing")
            index, hashes, proof_note = parse_tlog_proof(proof.decode("utf-8"))
            if note_bytes is None or split_note(proof_note)[0] != \
                    split_note(note_bytes.decode("utf-8"))[0]:
                raise VerifyError(f"its inclusion proof {proof_path} is not against the "
                                  "site's checkpoint")
            if size is None or root is None:
                raise VerifyError("no valid checkpoint to check its inclusion against")
            verify_inclusion(index, size, record_leaf(data), hashes, root)
        except (VerifyError, UnicodeDecodeError) as error:
            report.fail(path, str(error))
            continue
        record_data[path] = loaded
        stories.setdefault(m.group(1), []).append(
            (int(m.group(2)), record, loaded["hash"], index, path))
        report.records += 1
    for slug, versions in sorted(stories.items()):
        _check_story_chain(slug, sorted(versions, key=lambda v: v[0]), report)
    # pages
    named: set[str] = set()
    for path in listed:
        if not path.endswith(".html"):
            continue
        data = site.get(path)
        if data is None:
            continue
        page = _Page()
        try:
            text = data.decode("utf-8")
            # What is checked: the story (headline to updates) and the footer naming the
            # record; every other byte of the page is checked by the signed list of files.
            at = text.find('<article class="story"')
            if at < 0:
                at = text.find("<footer")
            text = text[at:] if at >= 0 else ""
            page.feed(text)
            page.close()
        except UnicodeDecodeError:
            report.fail(path, "is not UTF-8")
            continue
        if page.story and not page.records:
            report.fail(path, "names no public record")
            continue
        for href, digest in page.records:
            target = _resolve(path, href)
            named.add(target)
            loaded_record = record_data.get(target)
            if loaded_record is None:
                report.fail(path, f"names the record {target}, which does not verify or "
                                  "is not in the site")
            elif loaded_record["hash"] != digest:
                report.fail(path, f"names the record {target} with another hash")
            elif page.story:
                seen: list[str] = []
                problem = _page_against_record(page, loaded_record, seen)
                report.notes += [n for n in seen if n not in report.notes]
                if problem:
                    report.fail(path, problem)
        report.pages += 1 if page.story else 0
    for path in record_data:
        if path not in named:
            report.fail(path, "no page names this record")
    _check_consistency(site, key, note_bytes, listed, since, report)
    return report


def _check_manifest(site: Site, key: str, origin: str | None, size: int | None,
                    report: Report) -> list[str]:
    path = WELL_KNOWN + "manifest"
    data = site.get(path)
    if data is None:
        report.fail(path, "missing: the site's signed list of files")
        return []
    try:
        text, signatures = split_note(data.decode("utf-8"))
        name = parse_vkey(key)[0]
        _signed_by(text, signatures, key)
        lines = text[:-1].split("\n")
        if lines[:1] != [MANIFEST_HEADER] or len(lines) < 3:
            raise VerifyError(f"not a {MANIFEST_HEADER} note")
        if lines[1] != name or (origin is not None and lines[1] != origin):
            raise VerifyError("it is the list of another log's site")
        if size is not None and lines[2] != str(size):
            raise VerifyError(f"it lists the site of a log of {lines[2]} records, the "
                              f"checkpoint has {size}")
        entries: dict[str, str] = {}
        for line in lines[3:]:
            digest, _, file = line.partition(" ")
            if len(digest) != 64 or not file or file in entries:
                raise VerifyError(f"bad line {line[:60]!r}")
            entries[file] = digest
    except (VerifyError, UnicodeDecodeError) as error:
        report.fail(path, str(error))
        return []
    for file, digest in entries.items():
        got = site.get(file)
        if got is None:
            report.fail(file, "missing: the newsroom's signed list of files names it")
        elif hashlib.sha256(got).hexdigest() != digest:
            report.fail(file, "changed: its bytes are not the ones the newsroom signed "
                              f"(SHA-256 {hashlib.sha256(got).hexdigest()[:16]}..., "
                              f"signed {digest[:16]}...)")
    report.files = len(entries)
    listing = site.listing()
    if listing is not None:
        for file in listing:
            if file not in entries and file not in (path, SITE_MARKER):
                report.fail(file, "is not in the newsroom's signed list of files")
    return list(entries)


def _check_story_chain(slug: str, versions: list[tuple[int, dict[str, Any], str, int, str]],
                       report: Report) -> None:
    previous: tuple[int, dict[str, Any], str, int, str] | None = None
    for item in versions:
        number, record, _, index, path = item
        if previous is None:
            if number != 1 or record.get("previous") is not None:
                report.fail(path, f"{slug}'s records do not start at version 1")
        else:
            if number != previous[0] + 1:
                gap = (f"v{previous[0] + 1}" if number == previous[0] + 2
                       else f"v{previous[0] + 1} to v{number - 1}")
                report.fail(path, f"{slug} {gap} missing before it: a record was removed")
            elif record.get("previous") != previous[2]:
                report.fail(path, f"its previous record is not {slug} v{previous[0]} as "
                                  "published")
            if index <= previous[3]:
                report.fail(path, f"it comes before {slug} v{previous[0]} in the log")
            if str(record.get("published_at")) < str(previous[1].get("published_at")):
                report.fail(path, f"it was published before {slug} v{previous[0]}")
        previous = item


def _check_consistency(site: Site, key: str, note_bytes: bytes | None, listed: list[str],
                       since: str | None, report: Report) -> None:
    if note_bytes is None:
        return
    current = note_bytes.decode("utf-8", "replace")
    try:
        current_text = split_note(current)[0]
        _, size, root = parse_checkpoint(current_text)
    except VerifyError:
        return
    sizes = {kind: {int(m.group(2)) for m in map(_SIZE_PATH.fullmatch, listed)
                    if m and m.group(1) == kind} for kind in ("checkpoints", "consistency")}
    for old in sorted(sizes["checkpoints"]):
        path = f"{WELL_KNOWN}checkpoints/{old}"
        saved = site.get(path)
        if saved is None:
            continue
        try:
            if old == size:
                if split_note(saved.decode("utf-8"))[0] != current_text:
                    raise VerifyError("it is not the site's checkpoint of that size")
                continue
            if old not in sizes["consistency"] and old > 0:
                raise VerifyError("the site proves no consistency from it to the latest")
            if old > 0:
                proof = site.get(f"{WELL_KNOWN}consistency/{old}") or b""
                _consistent(saved.decode("utf-8"), proof.decode("utf-8"), key, current_text)
        except (VerifyError, UnicodeDecodeError) as error:
            report.fail(path, str(error))
    if since is None:
        return
    try:
        origin, old_size, old_root = verify_checkpoint(since, key)
        if origin != report.origin:
            raise VerifyError(f"your checkpoint is of the log {origin!r}, the site's is "
                              f"{report.origin!r}")
        if old_size > size:
            raise VerifyError(f"your checkpoint has {old_size} records, the site's only "
                              f"{size}: the log was rolled back")
        if old_size == size:
            if old_root != root:
                raise VerifyError(f"your checkpoint and the site's both have {size} records "
                                  "with different roots: the log was rewritten")
            return
        if old_size == 0:
            return
        found = site.get(f"{WELL_KNOWN}consistency/{old_size}")
        if found is None:
            raise VerifyError(f"the site proves no consistency from your checkpoint's "
                              f"{old_size} records to its {size}")
        _consistent(since, found.decode("utf-8"), key, current_text)
    except (VerifyError, UnicodeDecodeError) as error:
        report.fail("--since", str(error))


def _consistent(saved: str, proof: str, key: str, current_text: str) -> None:
    _, _, proof_note = parse_consistency_proof(proof)
    if split_note(proof_note)[0] != current_text:
        raise VerifyError("its consistency proof is not to the site's checkpoint")
    verify_checkpoint_consistency(saved, proof, key)


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
    p = sub.add_parser("site", help="check a whole site: a folder or an http(s) address")
    p.add_argument("where")
    p.add_argument("--key", help="the log's verifier key (default: the site's own)")
    p.add_argument("--since", help="a checkpoint you saved earlier")
    p.add_argument("--witness", action="append", default=[],
                   help="a witness's verifier key whose cosignature is required")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    args = parser.parse_args(argv)
    if args.check == "site":
        return _run_site(args)
    try:
        print(_run(args))
    except VerifyError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 5
    return 0


def _run_site(args: argparse.Namespace) -> int:
    try:
        since = _text(args.since) if args.since else None
        report = check_site(Site(args.where), args.key, since, tuple(args.witness))
    except VerifyError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 5
    except OSError as error:
        print(f"cannot read the site: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(report.text(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 5


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
