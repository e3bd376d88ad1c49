"""Value objects of a live story: sources, media, update content, kinds of change.

All text is normalised to Unicode NFC on the way in, so that equal-looking
text hashes equally (RFC 8785 does not normalise).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from storylog.domain.kinds import SourceKind

MAX_TEXT = 100_000
MAX_LINE = 1_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
UPDATE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _clean(text: str, limit: int, what: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if _CONTROL.search(text):
        raise ValueError(f"{what} contains a control character; remove it")
    if len(text) > limit:
        raise ValueError(f"{what} is {len(text)} characters; the limit is {limit}")
    return text


def _body(text: str) -> str:
    text = _clean(text.replace("\r\n", "\n"), MAX_TEXT, "the text")
    if not text:
        raise ValueError("the text is empty; give the update's text with --text")
    return text


def _line(text: str) -> str:
    return _clean(text, MAX_LINE, "the text").replace("\n", " ").replace("\t", " ")


def _required_line(text: str) -> str:
    text = _line(text)
    if not text:
        raise ValueError("must not be empty")
    return text


def _http_url(url: str) -> str:
    url = _line(url)
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", url, re.IGNORECASE):
        raise ValueError(f"link {url!r} must be an http:// or https:// address")
    return url


Body = Annotated[str, AfterValidator(_body)]
Line = Annotated[str, AfterValidator(_line)]
RequiredLine = Annotated[str, AfterValidator(_required_line)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


class Frozen(BaseModel):
    # Built on first use: a command builds only the validators it needs (start-up time).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Status(StrEnum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    DISPUTED = "disputed"
    DENIED = "denied"
    FALSE = "false"


class ChangeKind(StrEnum):
    """The ladder of DOMAIN.md, least to most serious."""

    COPY_EDIT = "copy-edit"
    UPDATE = "update"
    CLARIFICATION = "clarification"
    CORRECTION = "correction"
    EDITORS_NOTE = "editors-note"

    @property
    def needs_public_note(self) -> bool:
        return self in (
            ChangeKind.CLARIFICATION,
            ChangeKind.CORRECTION,
            ChangeKind.EDITORS_NOTE,
        )


class Source(Frozen):
    """A source an update cites. ``via`` names the source it spoke through."""

    name: RequiredLine
    kind: SourceKind = SourceKind.OTHER
    via: Line | None = None
    url: HttpUrl | None = None
    confidential: bool = False


class Media(Frozen):
    """A picture (with caption and credit) or a link (with label)."""

    type: Literal["picture", "link"]
    url: HttpUrl | None = None
    caption: Line | None = None
    credit: Line | None = None
    label: Line | None = None

    @model_validator(mode="after")
    def _link_has_url(self) -> Media:
        if self.type == "link" and not (self.url or self.label):
            raise ValueError("a link needs an http(s) url or a label")
        if self.type == "picture" and not (self.url or self.caption):
            raise ValueError("a picture needs a url or a caption")
        return self


class UpdateContent(Frozen):
    """The part of an update that can be erased for good (it is sealed per update)."""

    body: Body
    sources: tuple[Source, ...] = ()
    media: tuple[Media, ...] = ()


class ContentChange(Frozen):
    """The sealed part of an edit: only the fields that changed are present."""

    body: Body | None = None
    sources: tuple[Source, ...] | None = None
    media: tuple[Media, ...] | None = None

    def is_empty(self) -> bool:
        return self.body is None and self.sources is None and self.media is None


def parse_stamp(text: str) -> str:
    """A newsroom stamp: local wall time, minute precision, stored as ISO text."""
    try:
        moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"stamp {text!r} is not a time; write it as YYYY-MM-DD HH:MM"
            ) from None
    if moment.tzinfo is not None:
        raise ValueError(
            f"stamp {text!r} carries a zone; stamps are in the story's own zone"
        )
    if not 1900 <= moment.year <= 2200:
        raise ValueError(f"stamp {text!r} is out of range (years 1900 to 2200)")
    return moment.strftime("%Y-%m-%dT%H:%M")


Stamp = Annotated[str, AfterValidator(parse_stamp)]
