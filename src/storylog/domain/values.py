"""Value objects of a live story: sources, media, update content, kinds of change.

All text is normalised to Unicode NFC on the way in, so that equal-looking
text hashes equally (RFC 8785 does not normalise).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, model_validator

from storylog.domain.kinds import SourceKind

MAX_TEXT = 100_000
MAX_LINE = 1_000
MAX_NAME = 200
MAX_SOURCES = 50
MAX_MEDIA = 20
MAX_FLAGS = 20
# C0 controls (tab, LF and CR aside), DEL, and the C1 block U+0080-U+009F: a terminal acts on
# them (colours, cursor moves, window titles), so they never enter the record.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What rows stored before C1 controls were refused were held to; they must still load.
_CONTROL_STORED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Full matches only: `$` in a pattern would let a trailing newline through.
SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")
UPDATE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
COMMAND_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
_EMBEDDINGS = {"\u202a", "\u202b", "\u202d", "\u202e"}  # LRE RLE LRO RLO, closed by PDF
_ISOLATES = {"\u2066", "\u2067", "\u2068"}  # LRI RLI FSI, closed by PDI
_CLOSERS = {"\u202c": _EMBEDDINGS, "\u2069": _ISOLATES}
_BIDI_NAMES = {
    "\u202a": "left-to-right embedding (U+202A)", "\u202b": "right-to-left embedding (U+202B)",
    "\u202d": "left-to-right override (U+202D)", "\u202e": "right-to-left override (U+202E)",
    "\u2066": "left-to-right isolate (U+2066)", "\u2067": "right-to-left isolate (U+2067)",
    "\u2068": "first-strong isolate (U+2068)", "\u202c": "pop directional formatting (U+202C)",
    "\u2069": "pop directional isolate (U+2069)",
}
BIDI_CONTROLS = frozenset(_BIDI_NAMES) | {"\u200e", "\u200f", "\u061c"}


def is_stored(info: ValidationInfo | None) -> bool:
    """True when a row already in the store is being read back: it was checked by the
    rules of its day, and the record is forever, so later, stricter rules do not apply."""
    return bool(info is not None and info.context and info.context.get("stored"))


def check_bidi(text: str, what: str) -> None:
    """Refuse direction controls left open at the end of a line, or closing nothing:
    an unclosed override reverses whatever a page or terminal shows after the text."""
    for line in text.split("\n"):
        stack: list[str] = []
        for char in line:
            if char in _EMBEDDINGS or char in _ISOLATES:
                stack.append(char)
            elif char in _CLOSERS:
                if not stack or stack[-1] not in _CLOSERS[char]:
                    raise ValueError(f"{what} has a {_BIDI_NAMES[char]} that closes nothing; "
                                     "remove it")
                stack.pop()
        if stack:
            raise ValueError(f"{what} leaves a {_BIDI_NAMES[stack[-1]]} open; remove it, or "
                             "close it on the same line")


def _clean(text: str, limit: int, what: str, info: ValidationInfo | None = None) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    stored = is_stored(info)
    found = (_CONTROL_STORED if stored else _CONTROL).search(text)
    if found:
        raise ValueError(f"{what} contains the control character U+{ord(found.group()):04X}; "
                         "remove it")
    if not stored:
        if "\r" in text:
            raise ValueError(f"{what} contains a carriage return (CR) without a line feed; "
                             "use plain line breaks")
        check_bidi(text, what)
    if len(text) > limit:
        raise ValueError(f"{what} is {len(text)} characters; the limit is {limit}")
    return text


def _body(text: str, info: ValidationInfo) -> str:
    text = _clean(text.replace("\r\n", "\n"), MAX_TEXT, "the text", info)
    if not text:
        raise ValueError("the text is empty; give the update's text with --text")
    return text


def _line(text: str, info: ValidationInfo) -> str:
    return _clean(text, MAX_LINE, "the text", info).replace("\n", " ").replace("\t", " ")


def _required_line(text: str, info: ValidationInfo) -> str:
    text = _line(text, info)
    if not text:
        raise ValueError("must not be empty")
    return text


def _http_url(url: str, info: ValidationInfo) -> str:
    url = _line(url, info)
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url, re.IGNORECASE):
        raise ValueError(f"link {url!r} must be an http:// or https:// address")
    return url


def editor_name(name: str) -> str:
    """Who makes a change, as recorded on every event: one line of printable text, no
    controls and no direction marks (it is printed in logs, reports and terminals)."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise ValueError("who is making this change? give --editor NAME or set STORYLOG_EDITOR")
    bad = next((c for c in name if c in BIDI_CONTROLS or c in "\n\r\t"
                or _CONTROL.match(c)), None)
    if bad is not None:
        raise ValueError(f"the editor name {name!r} contains the control character "
                         f"U+{ord(bad):04X}; give a plain name with --editor or STORYLOG_EDITOR")
    if len(name) > MAX_NAME:
        raise ValueError(f"the editor name is {len(name)} characters; the limit is {MAX_NAME}")
    return name


def command_id(value: str) -> str:
    """A client's id for a command (``--command-id``); empty means none was given."""
    if value and not COMMAND_ID_PATTERN.fullmatch(value):
        raise ValueError(f"command id {value!r} must be 1-128 letters, digits or . _ : @ / + = "
                         "-, starting with a letter or digit")
    return value


def limited(limit: int, what: str) -> Callable[[Any, ValidationInfo], Any]:
    """A check that a list holds at most ``limit`` items (new input only)."""

    def check(items: Any, info: ValidationInfo) -> Any:
        if items is not None and not is_stored(info) and len(items) > limit:
            raise ValueError(f"{len(items)} {what} given; the limit is {limit}")
        return items

    return check


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


Sources = Annotated[tuple[Source, ...], AfterValidator(limited(MAX_SOURCES, "sources"))]
MediaList = Annotated[tuple[Media, ...], AfterValidator(limited(MAX_MEDIA, "media"))]


class UpdateContent(Frozen):
    """The part of an update that can be erased for good (it is sealed per update)."""

    body: Body
    sources: Sources = ()
    media: MediaList = ()


class ContentChange(Frozen):
    """The sealed part of an edit: only the fields that changed are present."""

    body: Body | None = None
    sources: Sources | None = None
    media: MediaList | None = None

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


def stamp_problem(stamp: str, tz: str) -> tuple[str, str] | None:
    """Is a stamp's wall time missing or doubled in the story's zone? ``("gap", why)``
    when the clocks skipped it (no such moment: refused), ``("ambiguous", why)`` when
    they passed it twice (read as the first, summer time: the editor is told)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    wall = datetime.fromisoformat(stamp)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    shown = wall.strftime("%Y-%m-%d %H:%M")
    if first.utcoffset() == second.utcoffset():
        return None
    from datetime import UTC

    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        return ("gap", f"stamp {shown} does not exist in {tz}: the clocks went forward past "
                       "it; give the time readers saw, before or after the change")
    return ("ambiguous", f"stamp {shown} happens twice in {tz} (the clocks went back); it "
                         f"is read as the first, {first.tzname()} (UTC{_offset(first)}), "
                         "not the second")


def _offset(moment: datetime) -> str:
    minutes = int((moment.utcoffset() or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
