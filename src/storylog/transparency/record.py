"""The public record of a published story version: a stored contract, version 1.

One record per published version; its hash is its leaf in the newsroom's log (one
Merkle tree over every record of every story, in the order they were published). The
file a site publishes (``PublishedRecord``) has two parts:

``record`` (``PublicRecord``), committed, never changed once published:
    format          "storylog.public-record.v1"
    story           the story's slug
    version         the version number, 1, 2, ...
    published_at    when it was published, UTC, "YYYY-MM-DDTHH:MM:SSZ"
    headline, standfirst, note (the version's public note), notes (public notes on the
                    headline and standfirst)
    updates         in page order, one commitment per update: its id and
                    hash = SHA-256(RFC 8785 {"commit": "storylog.update.v1",
                                             "salt": <hex>, "view": <UpdateView>})
    previous        the hash of the story's previous record (null for version 1)
    chain           the head of the newsroom's internal event chain when it was
                    published ({head, position}): auditors with internal access tie the
                    public record to the full history with it

``openings``, one per update, in the same order: the salt and the update as readers see
it (``UpdateView``), so anyone can recompute the commitment from what the page shows;
or, once an update is taken down or erased, only a notice (``Withdrawal``). The
commitment stays in the record, so the record's hash, its leaf and every checkpoint
that ever covered it still verify; the salt leaves with the content, so the hash that
remains cannot be tested against guesses of what was removed.

Hashes:
    record hash = leaf hash = SHA-256(0x00 || RFC 8785 bytes of ``record``), hex
    (RFC 6962's leaf hash, so a record's name is also its leaf in the log.)

Every field is required (null where empty), every number an integer below 2^53 and every
key ASCII: then RFC 8785's bytes are what any JSON library prints with sorted keys and no
spaces, which the single-file verifier relies on.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import orjson
import rfc8785
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from storylog.errors import RefusedInput, VerificationFailed
from storylog.transparency.merkle import leaf_hash

FORMAT: Literal["storylog.public-record.v1"] = "storylog.public-record.v1"
COMMITMENT = "storylog.update.v1"
SCHEMA_NAME = "public-record.v1.schema.json"
SAFE_INTEGER = 2**53 - 1
_MOMENT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"


class MalformedRecord(VerificationFailed):
    """A public record file that does not follow the contract."""


def _text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def _line(value: str) -> str:
    if not value or any(c < " " or c == "\x7f" for c in _text(value)):
        raise ValueError("must be one non-empty line without control characters")
    return value


Text = Annotated[str, AfterValidator(_text)]
Line = Annotated[str, AfterValidator(_line)]
Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Moment = Annotated[str, Field(pattern=_MOMENT)]
Count = Annotated[int, Field(ge=0, le=SAFE_INTEGER)]


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class PublicNote(Contract):
    """A public note: a correction, clarification, editor's note... as readers see it."""

    kind: Line
    note: Text
    at: Moment
    target: Line | None = Field(description="what it is about, e.g. 'headline'; null: the "
                                            "update it is attached to")


class SourceView(Contract):
    """A source as the page names it (confidential sources never appear)."""

    name: Line
    kind: Line
    via: Line | None
    url: Line | None


class MediaView(Contract):
    type: Literal["picture", "link"]
    url: Line | None
    caption: Line | None
    credit: Line | None
    label: Line | None


class Retraction(Contract):
    note: Text
    at: Moment


class Removal(Contract):
    """The notice that replaces a taken-down update: its general grounds and the date."""

    grounds: Line
    at: Moment


class UpdateView(Contract):
    """What readers see of one update in one version: the preimage of its commitment.

    ``stamp`` is the stamp as the page gives it to machines (ISO 8601 with the
    newsroom's offset). ``body`` is null when the content was erased before this version
    was published. A taken-down update is published, in versions after its takedown,
    as a view with ``removed`` set and nothing else of its content."""

    id: Line
    stamp: Line
    key_event: bool
    status: Line | None
    body: Text | None
    sources: tuple[SourceView, ...]
    media: tuple[MediaView, ...]
    notes: tuple[PublicNote, ...]
    retraction: Retraction | None
    removed: Removal | None

    @model_validator(mode="after")
    def _removed_shows_nothing(self) -> UpdateView:
        if self.removed is not None and (self.body is not None or self.sources or self.media
                                         or self.notes or self.retraction is not None):
            raise ValueError("a removed update shows its notice and nothing else")
        return self


class UpdateCommitment(Contract):
    id: Line
    hash: Hex64


class ChainHead(Contract):
    head: Hex64
    position: Count


class PublicRecord(Contract):
    """The committed part: what the record's hash, and so the log, covers."""

    format: Literal["storylog.public-record.v1"]
    story: Line
    version: Annotated[int, Field(ge=1, le=SAFE_INTEGER)]
    published_at: Moment
    headline: Text
    standfirst: Text | None
    note: Text | None
    notes: tuple[PublicNote, ...]
    updates: tuple[UpdateCommitment, ...]
    previous: Hex64 | None
    chain: ChainHead

    @model_validator(mode="after")
    def _chained_once(self) -> PublicRecord:
        if (self.version == 1) != (self.previous is None):
            raise ValueError("version 1, and only version 1, has no previous record")
        ids = [u.id for u in self.updates]
        if len(set(ids)) != len(ids):
            raise ValueError("an update is committed twice")
        return self


class Withdrawal(Contract):
    """Why an update's opening is gone: its content was taken down or erased after
    this version was published."""

    reason: Literal["taken-down", "erased"]
    grounds: Line | None
    at: Moment


class Opening(Contract):
    """How to recompute one update's commitment (``salt`` and ``view``), or the notice
    that replaced them (``withdrawn``)."""

    id: Line
    salt: Hex64 | None
    view: UpdateView | None
    withdrawn: Withdrawal | None

    @model_validator(mode="after")
    def _opened_or_withdrawn(self) -> Opening:
        opened = self.salt is not None and self.view is not None
        if opened == (self.withdrawn is not None) or (self.salt is None) != (self.view is None):
            raise ValueError("an opening has either a salt and a view, or a withdrawal")
        if self.view is not None and self.view.id != self.id:
            raise ValueError("an opening's view is of another update")
        return self


class PublishedRecord(Contract):
    """The file on the site: the record, its hash, and the openings of its updates."""

    record: PublicRecord
    hash: Hex64
    openings: tuple[Opening, ...]


# -- hashing -------------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    return rfc8785.dumps(value)


def record_bytes(record: PublicRecord) -> bytes:
    return canonical(record.model_dump(mode="json"))


def record_leaf(record: PublicRecord) -> bytes:
    """The record's leaf hash in the log (32 bytes)."""
    return leaf_hash(record_bytes(record))


def record_hash(record: PublicRecord) -> str:
    return record_leaf(record).hex()


def commitment(salt: bytes, view: UpdateView) -> str:
    if len(salt) != 32:
        raise RefusedInput("a salt is 32 bytes")
    preimage = {"commit": COMMITMENT, "salt": salt.hex(), "view": view.model_dump(mode="json")}
    return hashlib.sha256(canonical(preimage)).hexdigest()


def new_salt() -> bytes:
    return os.urandom(32)


def derive_salt(secret: bytes, story: str, version: int, update_id: str) -> bytes:
    """A salt the newsroom can recompute instead of storing: HMAC-SHA-256 of the place
    under a secret that is never published (kept with the update keys). Unguessable
    without the secret, and different for every update of every version."""
    if len(secret) < 32:
        raise RefusedInput("the salt secret must be at least 32 bytes")
    return hmac.new(secret, canonical([story, version, update_id]), hashlib.sha256).digest()


# -- making and checking records -----------------------------------------------------------


def publish(*, story: str, version: int, published_at: str, headline: str,
            standfirst: str | None, note: str | None, notes: Sequence[PublicNote],
            updates: Sequence[tuple[UpdateView, bytes]], previous: PublicRecord | None,
            chain_head: str, chain_position: int) -> PublishedRecord:
    """The record of one published version, with every update opened.

    ``updates`` are (view, salt) pairs in page order; ``previous`` is the story's record
    of the version before (None for version 1)."""
    if previous is not None and (previous.story, previous.version + 1) != (story, version):
        raise RefusedInput(f"{story} v{version} cannot follow {previous.story} "
                           f"v{previous.version}")
    try:
        record = PublicRecord(
            format=FORMAT, story=story, version=version, published_at=published_at,
            headline=headline, standfirst=standfirst, note=note, notes=tuple(notes),
            updates=tuple(UpdateCommitment(id=v.id, hash=commitment(s, v))
                          for v, s in updates),
            previous=record_hash(previous) if previous else None,
            chain=ChainHead(head=chain_head, position=chain_position))
        openings = tuple(Opening(id=v.id, salt=s.hex(), view=v, withdrawn=None)
                         for v, s in updates)
    except ValidationError as error:
        raise RefusedInput(f"{story} v{version}: {_first(error)}") from None
    return PublishedRecord(record=record, hash=record_hash(record), openings=openings)


def withdraw(published: PublishedRecord, update_id: str, reason: str, grounds: str | None,
             at: str) -> PublishedRecord:
    """The same record with one update's opening replaced by a notice: the record, its
    hash and its leaf do not change, so every older proof still holds."""
    if all(o.id != update_id for o in published.openings):
        raise RefusedInput(f"{published.record.story} v{published.record.version} has no "
                           f"update {update_id}")
    try:
        notice = Withdrawal.model_validate({"reason": reason, "grounds": grounds, "at": at})
    except ValidationError as error:
        raise RefusedInput(f"withdrawal of {update_id}: {_first(error)}") from None
    openings = tuple(Opening(id=o.id, salt=None, view=None, withdrawn=notice)
                     if o.id == update_id else o for o in published.openings)
    return published.model_copy(update={"openings": openings})


def dumps(published: PublishedRecord) -> bytes:
    """The file's bytes: readable JSON (the hash is over the record's canonical form)."""
    return orjson.dumps(published.model_dump(mode="json"),
                        option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def loads(data: bytes | str) -> PublishedRecord:
    """Read and check a record file: the contract, its hash, every opening."""
    try:
        published = PublishedRecord.model_validate_json(data)
    except ValidationError as error:
        raise MalformedRecord(f"not a {FORMAT} file: {_first(error)}") from None
    check(published)
    return published


def check(published: PublishedRecord) -> None:
    """Raise ``VerificationFailed`` unless the hash is the record's and every opening
    opens its commitment (withdrawn ones aside)."""
    record = published.record
    name = f"{record.story} v{record.version}"
    if record_hash(record) != published.hash:
        raise VerificationFailed(f"{name}: the record's hash is not {published.hash}")
    if [o.id for o in published.openings] != [u.id for u in record.updates]:
        raise VerificationFailed(f"{name}: the openings do not list the committed updates "
                                 "in their order")
    for opening, committed in zip(published.openings, record.updates, strict=True):
        if opening.withdrawn is not None:
            continue
        assert opening.salt is not None and opening.view is not None
        if commitment(bytes.fromhex(opening.salt), opening.view) != committed.hash:
            raise VerificationFailed(f"{name}: update {opening.id} is not what was "
                                     "committed")


def check_chain(records: Sequence[PublicRecord]) -> None:
    """One story's records, in order: versions 1, 2, ... each naming the one before."""
    previous: PublicRecord | None = None
    for record in records:
        name = f"{record.story} v{record.version}"
        if previous is None:
            if record.version != 1 or record.previous is not None:
                raise VerificationFailed(f"{name}: a story's records start at version 1")
        else:
            if (record.story, record.version) != (previous.story, previous.version + 1):
                raise VerificationFailed(f"{name} follows {previous.story} "
                                         f"v{previous.version}: a version is missing or "
                                         "out of order")
            if record.previous != record_hash(previous):
                raise VerificationFailed(f"{name}: its previous record is not v"
                                         f"{previous.version} as published")
            if record.published_at < previous.published_at:
                raise VerificationFailed(f"{name}: published before v{previous.version}")
        previous = record


def schema() -> dict[str, Any]:
    """The JSON Schema of a record file (``events/public-record.v1.schema.json``)."""
    body = PublishedRecord.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_NAME,
        "title": f"storylog public record, {FORMAT}",
        "description": (__doc__ or "").strip().split("\n\n")[0],
        **{k: v for k, v in body.items() if k != "title"},
    }


def _first(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "record"
    return re.sub(r"\s+", " ", f"{where}: {first['msg']}")
