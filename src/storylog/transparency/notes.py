"""C2SP signed notes (c2sp.org/signed-note) with Ed25519: the envelope of checkpoints.

A note is a text ending in a newline, a blank line, then signature lines::

    <text>\\n
    \\n
    — <key name> base64(4-byte key ID || signature)\\n

    key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]

Keys travel as strings in golang.org/x/mod/sumdb/note's format, which C2SP calls
"vkeys"; the same strings are read by Go's ``note`` package, sigsum and litewitness:

    verifier key  <name>+<8 hex digits of the key ID>+base64(type || public key)
    signer key    PRIVATE+KEY+<name>+<key ID>+base64(type || Ed25519 seed)

Opening a note follows Go's ``note.Open``: signatures by unknown keys are ignored (kept
as unverified), a known key's bad signature rejects the whole note, and a note that no
known key signed is rejected. Anything malformed is refused before any key is tried.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature as _BadEd25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storylog.errors import RefusedInput, VerificationFailed

ED25519 = 0x01  # signature type of an Ed25519 note signature (signed-note.md)
COSIGNATURE_ED25519 = 0x04  # timestamped Ed25519 witness cosignature (tlog-cosignature.md)
MAX_SIGNATURES = 100  # as Go's note.Open; C2SP asks verifiers to accept at least 16
DASH = "— "  # U+2014 EM DASH, then a space

_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


class MalformedNote(VerificationFailed):
    """The bytes are not a signed note: nothing in them can be trusted."""


class InvalidSignature(VerificationFailed):
    """A key we trust signed the note, and the signature does not verify."""


class UnverifiedNote(VerificationFailed):
    """The note is well formed but no trusted key signed it."""

    def __init__(self, message: str, note: Note):
        super().__init__(message)
        self.note = note


class InvalidKey(RefusedInput):
    """A verifier or signer key string that cannot be used."""


def valid_name(name: str) -> bool:
    """Key names are non-empty and hold no Unicode space and no plus sign."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, alg: int, public_key: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def b64decode(text: str) -> bytes:
    """Standard base64, padded, nothing outside the alphabet (RFC 4648 section 4)."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError(f"{text[:40]!r} is not base64") from None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Signature:
    """One signature line: the key's name and ID, and the base64 as it was written."""

    name: str
    key_id: int
    base64: str

    @property
    def signature(self) -> bytes:
        """The signature bytes after the 4-byte key ID."""
        return b64decode(self.base64)[4:]

    def line(self) -> str:
        return f"{DASH}{self.name} {self.base64}\n"


@dataclass(frozen=True)
class Note:
    """A note's text and its signatures: ``signatures`` are those that verified (after
    ``open_note``), ``unverified`` those by keys that were not given."""

    text: str
    signatures: tuple[Signature, ...] = ()
    unverified: tuple[Signature, ...] = field(default=())


class Verifier:
    """An Ed25519 note verifier: a name and a public key (signature type 0x01)."""

    alg = ED25519

    def __init__(self, name: str, public_key: bytes):
        if not valid_name(name):
            raise InvalidKey(f"key name {name!r} must be non-empty, without spaces or '+'")
        if len(public_key) != 32:
            raise InvalidKey("an Ed25519 public key is 32 bytes")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.alg, self.public_key)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    @property
    def vkey(self) -> str:
        """This key as a verifier key string (``name+keyid+base64``)."""
        return f"{self.name}+{self.key_id:08x}+{b64encode(bytes([self.alg]) + self.public_key)}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without the key ID) signs the note text."""
        try:
            self._key.verify(signature, text)
        except _BadEd25519:
            return False
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


class Signer:
    """An Ed25519 note signer. Keep its ``skey`` secret; publish ``verifier().vkey``."""

    alg = ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey):
        if not valid_name(name):
            raise InvalidKey(f"key name {name!r} must be non-empty, without spaces or '+'")
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, self.alg, self.public_key)

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Read ``PRIVATE+KEY+<name>+<keyid>+base64(type || seed)``, checking the key ID."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _HEX8.fullmatch(parts[3]):
            raise InvalidKey("a signer key reads PRIVATE+KEY+<name>+<8 hex digits>+<base64>")
        name, hex_id, encoded = parts[2], parts[3], parts[4]
        try:
            raw = b64decode(encoded)
        except ValueError:
            raise InvalidKey("the signer key's last part is not base64") from None
        if len(raw) != 33 or raw[0] != cls.alg:
            raise InvalidKey("the signer key is not an Ed25519 key (type 0x01, 32-byte seed)")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id != int(hex_id, 16):
            raise InvalidKey(f"the signer key's ID {hex_id} does not match its key")
        return signer

    @property
    def skey(self) -> str:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{b64encode(bytes([self.alg]) + seed)}"

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.public_key)

    def sign(self, text: bytes) -> bytes:
        return self._key.sign(text)


def parse_verifier_key(vkey: str) -> Verifier:
    """A verifier from its key string: ``<name>+<keyid>+base64(type || public key)``.

    Type 0x01 gives a note ``Verifier``, type 0x04 a witness ``CosignatureVerifier``;
    the key ID must match the name and key, as Go's ``note.NewVerifier`` requires."""
    parts = vkey.split("+", 2)
    if len(parts) != 3 or not _HEX8.fullmatch(parts[1]) or not valid_name(parts[0]):
        raise InvalidKey("a verifier key reads <name>+<8 hex digits>+<base64>")
    name, hex_id, encoded = parts
    try:
        raw = b64decode(encoded)
    except ValueError:
        raise InvalidKey("the verifier key's last part is not base64") from None
    if not raw:
        raise InvalidKey("the verifier key holds no key")
    if key_id(name, raw[0], raw[1:]) != int(hex_id, 16):
        raise InvalidKey(f"the verifier key's ID {hex_id} does not match its name and key")
    if raw[0] == ED25519:
        return Verifier(name, raw[1:])
    if raw[0] == COSIGNATURE_ED25519:
        from storylog.transparency.cosignature import CosignatureVerifier

        return CosignatureVerifier(name, raw[1:])
    raise InvalidKey(f"unknown signature type 0x{raw[0]:02x} in the verifier key")


# -- the note format -----------------------------------------------------------------------


def parse(message: bytes | str) -> Note:
    """Split a signed note into its text and signature lines, checking only the format.

    Nothing is verified: every signature comes back in ``unverified``."""
    if isinstance(message, str):
        try:
            message = message.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedNote("malformed note: not valid UTF-8") from None
    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedNote("malformed note: not valid UTF-8") from None
    if any(c < " " and c != "\n" for c in decoded):
        raise MalformedNote("malformed note: it holds a control character")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise MalformedNote("malformed note: no blank line before the signatures")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNote("malformed note: no signature, or no newline after the last one")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return Note(text=text, unverified=tuple(_signature(line) for line in lines))


def _signature(line: str) -> Signature:
    if not line.startswith(DASH):
        raise MalformedNote("malformed note: a line after the blank line is not a signature")
    name, _, encoded = line[len(DASH) :].partition(" ")
    try:
        raw = b64decode(encoded)
    except ValueError:
        raw = b""
    if not valid_name(name) or not encoded or len(raw) < 5:
        raise MalformedNote(f"malformed note: bad signature line {line[:60]!r}")
    return Signature(name, int.from_bytes(raw[:4], "big"), encoded)


def open_note(message: bytes | str, verifiers: Iterable[Verifier]) -> Note:
    """Parse a note and verify it with the given keys (see the module's rules).

    Raises ``MalformedNote``, ``InvalidSignature`` (a known key's signature fails),
    ``UnverifiedNote`` (no known key signed), ``InvalidKey`` (two verifiers share a name
    and key ID, so which one signed is ambiguous)."""
    parsed = parse(message)
    known: dict[tuple[str, int], list[Verifier]] = {}
    for v in verifiers:
        known.setdefault((v.name, v.key_id), []).append(v)
    text = parsed.text.encode()
    verified: list[Signature] = []
    unverified: list[Signature] = []
    for sig in parsed.unverified:
        found = known.get((sig.name, sig.key_id))
        if found is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if len(found) > 1:
            raise InvalidKey(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        if any((s.name, s.key_id) == (sig.name, sig.key_id) for s in verified):
            continue  # one verdict per key, as Go's note.Open
        if not found[0].verify(text, sig.signature):
            raise InvalidSignature(f"invalid signature for key {sig.name}+{sig.key_id:08x}")
        verified.append(sig)
    note = Note(parsed.text, tuple(verified), tuple(unverified))
    if not verified:
        raise UnverifiedNote("note has no verifiable signatures", note)
    return note


def sign(note: Note | str, *signers: Signer) -> str:
    """The signed note: ``note``'s text, its signatures that no signer replaces, then one
    new signature per signer. ``note`` may be a bare text (ending in a newline)."""
    if isinstance(note, str):
        note = Note(note)
    if not note.text.endswith("\n"):
        raise MalformedNote("malformed note: the text must end with a newline")
    parse(note.text + "\n" + f"{DASH}x AAAAAAA=\n")  # the text itself must be well formed
    text = note.text.encode()
    mine = {(s.name, s.key_id) for s in signers}
    kept = [s for s in (*note.signatures, *note.unverified) if (s.name, s.key_id) not in mine]
    for s in kept:
        _check_kept(s)
    new = [Signature(s.name, s.key_id, b64encode(s.key_id.to_bytes(4, "big") + s.sign(text)))
           for s in signers]
    return note.text + "\n" + "".join(s.line() for s in (*kept, *new))


def _check_kept(sig: Signature) -> None:
    try:
        raw = b64decode(sig.base64)
    except ValueError:
        raw = b""
    if not valid_name(sig.name) or len(raw) < 5 or int.from_bytes(raw[:4], "big") != sig.key_id:
        raise MalformedNote(f"malformed note: the signature by {sig.name!r} does not match "
                            "its key ID")
