"""Payloads of the stored events: pydantic models that validate on the way in.

These are the stored-event contract (``events/`` holds their JSON Schemas).
Change one only with a new ``class_version`` on its event and an upcaster.
A payload's ``content`` is the part sealed with the update's own key, so that
erasing the key destroys it while the hash chain still verifies.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from storylog.domain.values import (
    MAX_FLAGS,
    SLUG_PATTERN,
    UPDATE_ID_PATTERN,
    ChangeKind,
    ContentChange,
    Frozen,
    Line,
    RequiredLine,
    Stamp,
    Status,
    UpdateContent,
    is_stored,
    limited,
)

# Names a story cannot take, and why. Internal aggregates share the stories' id space
# (``uuid5`` of one namespace) and their reports; the site writes every story of
# `export --all` into OUTDIR/SLUG/ beside its own folders. Stored rows keep any name they
# had (an old store may hold a story called `sources`; reports label internal aggregates
# in parentheses, which no slug can take).
RESERVED_SLUGS = {
    "source-registry": "the source registry's id is derived from this name",
    "sources": "it names the source registry in reports and the sources' pages on a site",
    "registry": "it is kept for storylog's internal records",
    "index": "it is the name of a site's front page",
    "feed": "it is kept for a site's own feed",
    "static": "it is kept for a site's own files",
    "assets": "it is kept for a site's own files",
    "well-known": "it is kept for a site's published keys and checkpoints (.well-known)",
    "checkpoints": "it is kept for a site's published checkpoints",
    "keys": "it is kept for a site's published keys",
}


def _slug(value: str, info: ValidationInfo) -> str:
    # Rows stored before full matches were required were held to `re.match` with `$`.
    if not SLUG_PATTERN.fullmatch(value) and not (
        is_stored(info) and SLUG_PATTERN.fullmatch(value.removesuffix("\n"))
    ):
        raise ValueError(
            f"slug {value!r} must be lower-case letters, digits and hyphens, "
            "like pokrovsk-live"
        )
    if value in RESERVED_SLUGS and not is_stored(info):
        raise ValueError(f"slug {value!r} is reserved ({RESERVED_SLUGS[value]}); "
                         f"choose another, like {value}-live")
    return value


def _update_id(value: str, info: ValidationInfo) -> str:
    if not UPDATE_ID_PATTERN.fullmatch(value) and not (
        is_stored(info) and UPDATE_ID_PATTERN.fullmatch(value.removesuffix("\n"))
    ):
        raise ValueError(
            f"update id {value!r} must be letters, digits, '.', '_' or '-' "
            "(at most 64), starting with a letter or digit"
        )
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"time zone {value!r} is unknown; use an IANA name like Europe/Kyiv"
        ) from None
    return value


Slug = Annotated[str, AfterValidator(_slug)]
UpdateId = Annotated[str, AfterValidator(_update_id)]
Zone = Annotated[str, AfterValidator(_zone)]


class StoryOpenedPayload(Frozen):
    slug: Slug
    headline: RequiredLine
    standfirst: Line = ""
    tz: Zone = "UTC"
    lang: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "en"


class StoryDetailsChangedPayload(Frozen):
    headline: RequiredLine | None = None
    standfirst: Line | None = None
    kind: ChangeKind = ChangeKind.UPDATE
    reason: RequiredLine
    note: Line | None = None

    @model_validator(mode="after")
    def _check(self) -> StoryDetailsChangedPayload:
        if self.headline is None and self.standfirst is None:
            raise ValueError("nothing to change: give --headline or --standfirst")
        _require_note(self.kind, self.note)
        return self


class UpdateAddedPayload(Frozen):
    update_id: UpdateId
    stamp: Stamp
    status: Status = Status.UNVERIFIED
    key_event: bool = False
    content: UpdateContent | None  # None only when read back after erasure


class UpdateEditedPayloadV1(Frozen):
    """Class version 1 of an edit (kept: rows of this shape are stored forever)."""

    update_id: UpdateId
    base_revision: Annotated[int, Field(ge=1)]
    kind: ChangeKind
    reason: RequiredLine
    note: Line | None = None
    stamp: Stamp | None = None
    status: Status | None = None
    key_event: bool | None = None
    content: ContentChange | None = None

    @field_validator("note")
    @classmethod
    def _blank_note_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _check(self) -> UpdateEditedPayloadV1:
        _require_note(self.kind, self.note)
        return self


class UpdateEditedPayload(UpdateEditedPayloadV1):
    """Class version 2 adds what the stealth-edit check found, and any override.

    ``flags`` names the kinds of fact a copy edit changed (numbers, names, ...);
    ``override`` is the recorded reason an editor filed such a copy edit anyway.
    """

    flags: Annotated[tuple[str, ...], AfterValidator(limited(MAX_FLAGS, "flags"))] = ()
    override: Line | None = None


class UpdateRetractedPayload(Frozen):
    update_id: UpdateId
    base_revision: Annotated[int, Field(ge=1)]
    reason: RequiredLine
    note: RequiredLine


class VersionPublishedPayloadV1(Frozen):
    """Class version 1 of a publication (kept: rows of this shape are stored forever)."""

    version: Annotated[int, Field(ge=1)]
    head: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    note: Line | None = None


class CheckpointRef(Frozen):
    seq: Annotated[int, Field(ge=1)]
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class VersionPublishedPayload(VersionPublishedPayloadV1):
    """Class version 2 carries the latest signed checkpoint, for readers to keep."""

    checkpoint: CheckpointRef | None = None


class TakedownGrounds(StrEnum):
    LEGAL = "legal"
    SOURCE_SAFETY = "source-safety"
    COURT_ORDER = "court-order"
    PRIVACY = "privacy"
    OTHER = "other"

    @property
    def erases(self) -> bool:
        """Source safety destroys the content for good; the others keep it for auditors."""
        return self is TakedownGrounds.SOURCE_SAFETY


class UpdateTakenDownPayload(Frozen):
    update_id: UpdateId
    grounds: TakedownGrounds
    reason: RequiredLine
    erase: bool = False


class CorrectionReviewedPayload(Frozen):
    update_id: UpdateId
    revision: Annotated[int, Field(ge=1)]
    note: Line | None = None


def _require_note(kind: ChangeKind, note: str | None) -> None:
    if kind.needs_public_note and not note:
        raise ValueError(
            f"a {kind.value} needs a public note for readers: add --note TEXT"
        )
