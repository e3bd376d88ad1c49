"""Read a live page's text into its standfirst and its updates, newest first.

The page is plain text, one paragraph a line (blank lines may separate
paragraphs; a hard-wrapped paragraph, a line that does not end a sentence
followed by one that begins in lower case, is joined back together). A stamp
line starts an update ("Updated November 11, 8:26 A.M."), and so does a stamp
that begins a paragraph and is followed by a colon ("14:05: Ukraine's ...");
every line up to the next stamp belongs to it. A date heading ("Wednesday 5
November 2025") ends the update above it and dates the time-only stamps below
it ("14:00", "2:00 P.M."). Before the first stamp, the first paragraph is the
standfirst, unless it is a short line with no closing punctuation followed by
another paragraph, in which case it is the headline and the next one is the
standfirst. Lines that belong nowhere are returned as ``unplaced``.

Update ids come from the stamp ("2025-11-04-1221"). When updates share a
stamp, the oldest (lowest on the page) keeps the plain id and the ones above it
get "-2", "-3", so that an update added later on top does not renumber the
ones already there.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from storylog.domain.values import MAX_MEDIA, Status
from storylog.importer.attribution import find_sources
from storylog.importer.errors import ImportRefused
from storylog.importer.gazetteer import Gazetteer
from storylog.importer.html import looks_like_html, read_html
from storylog.importer.media import Paragraph, extract_media, is_credit_line
from storylog.importer.stamps import (
    PREFIX,
    StampError,
    StampMatch,
    calendar_date,
    match_stamp,
    moment,
)
from storylog.importer.structured import Post
from storylog.importer.text import is_continuation
from storylog.importer.zones import UnknownZone, story_zone

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_FURNITURE = re.compile(
    r"^(?:advertisement|skip advertisement|share|share this|copy link|read more|show more|"
    r"show key events only|please turn on javascript.*)$",
    re.I,
)
_BYLINE = re.compile(
    r"^(?:[Bb]y|[Vv]on|[Pp]ar|[Pp]or)\s+(?P<names>[A-ZÀ-Þ][\w.’'-]*(?:[\s,]+(?:and\s+|und\s+|et\s+|y\s+)?"
    r"[A-ZÀ-Þ][\w.’'-]*){0,7})$"
)
_KEY_EVENT = re.compile(r"^(?:key event|key events|pinned|pinned post)$", re.I)
_UNVERIFIED = re.compile(
    r"\b(?:not\s+(?:yet\s+)?(?:been\s+)?(?:independently\s+)?(?:verified|confirmed)"
    r"|unverified|could\s+not\s+(?:be\s+)?(?:independently\s+)?(?:verify|verified|confirm))\b",
    re.I,
)


@dataclass(frozen=True)
class ParsedUpdate:
    """One update as the page shows it, ready for storylog's UpdateContent.

    ``stamp`` is the story's local wall time ("2025-11-04 12:21"); ``stamp_line`` and
    ``last_line`` are the first and last line of the page the update came from; ``sources``
    and ``media`` are dicts that storylog's Source and Media accept (a link without an
    address is the one exception: see ``storylog.importer.media``); ``mentions`` are known
    sources the text names without citing them; ``status`` is UNVERIFIED when the text says
    so, else None (no opinion).
    """

    update_id: str
    stamp: str
    stamp_line: int
    body: str
    sources: list[dict[str, str]]
    media: list[dict[str, str]]
    unsourced: bool
    last_line: int = 0
    key_event: bool = False
    status: Status | None = None
    mentions: list[str] = field(default_factory=list)
    title: str | None = None
    byline: str | None = None

    def content(self) -> dict[str, Any]:
        """The update's body, sources and media, as storylog's UpdateContent takes them."""
        return {"body": self.body, "sources": list(self.sources), "media": list(self.media)}


@dataclass(frozen=True)
class ParsedPage:
    """A page: its standfirst, its updates newest first, the lines that belong nowhere
    (line number, text), and warnings ("line N: ...") about what the importer assumed;
    ``ignored`` are the lines of page furniture ("Advertisement", "Share") left out."""

    standfirst: str
    updates: list[ParsedUpdate]
    unplaced: list[tuple[int, str]]
    warnings: list[str]
    headline: str | None = None
    ignored: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Draft:
    """An update being read: its stamp and its lines (None for a blank line)."""

    stamp: datetime
    stamp_line: int
    lines: list[tuple[int, str | None]] = field(default_factory=list)
    title: str | None = None


@dataclass
class _Reader:
    year: int | None
    zone: ZoneInfo
    day_first: bool | None
    gazetteer: Gazetteer
    drafts: list[_Draft] = field(default_factory=list)
    prelude: list[tuple[int, str | None]] = field(default_factory=list)
    unplaced: list[tuple[int, str]] = field(default_factory=list)
    ignored: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    heading: date | None = None
    current: _Draft | None = None
    seen_stamp: bool = False
    today: date | None = None
    heading_year: int | None = None

    def read_line(self, number: int, line: str) -> None:
        if not line:
            self._keep(number, None)
            return
        if _FURNITURE.match(line):
            self.ignored.append((number, line))
            return
        try:
            found = match_stamp(line) if _may_be_stamp(line) else None
        except StampError as error:
            raise ImportRefused(f"line {number}: {error}") from None
        if found is None:
            self._keep(number, line)
        elif found.kind == "heading":
            self._heading(number, found)
        else:
            self._stamp(number, found)

    def _keep(self, number: int, line: str | None) -> None:
        if self.current is not None:
            self.current.lines.append((number, line))
        elif not self.seen_stamp:
            self.prelude.append((number, line))
        elif line is not None:
            self.unplaced.append((number, line))

    def _heading(self, number: int, found: StampMatch) -> None:
        if found.days_ago is not None:
            if self.today is None:
                raise ImportRefused(
                    f"line {number}: the heading {'Today' if not found.days_ago else 'Yesterday'}"
                    " is relative; give the date the page was saved on with --date "
                    "(for example --date 2025-11-05)")
            self.heading = self.today - timedelta(days=found.days_ago)
        else:
            self.heading = self._calendar(number, found)
            if found.date is not None and found.date.year is not None:
                self.heading_year = found.date.year
        self.current = None
        self.seen_stamp = True

    def _stamp(self, number: int, found: StampMatch) -> None:
        assert found.time is not None
        if found.date is not None:
            day = self._calendar(number, found)
        elif self.heading is not None:
            day = self.heading
        else:
            raise ImportRefused(
                f"line {number}: the stamp {found.time.text!r} has a time but no date, and no "
                "date heading stands above it; add a heading line such as 'November 5, 2025' "
                "above it, or write the date into the stamp"
            )
        try:
            when = moment(day, found.time, self.zone)
        except StampError as error:
            raise ImportRefused(f"line {number}: {error}") from None
        self.current = _Draft(when, number, title=found.title)
        self.drafts.append(self.current)
        self.seen_stamp = True
        if found.text:
            self.current.lines.append((number, found.text))

    def _calendar(self, number: int, found: StampMatch) -> date:
        assert found.date is not None
        try:
            return calendar_date(found.date, year=self.heading_year or self.year,
                                 day_first=self.day_first)
        except StampError as error:
            raise ImportRefused(f"line {number}: {error}") from None


_STAMP_TEXT = re.compile(r":|\s[–—-]\s")


def _may_be_stamp(line: str) -> bool:
    """A quick test that lets long paragraphs skip the stamp grammar: a stamp line is short,
    a stamp that starts a paragraph ends with a colon or dash near its start, a time and a
    title fit on one line, and a line that starts with "Updated" is checked in full, so that
    a malformed stamp is refused."""
    return len(line) <= 80 or bool(_STAMP_TEXT.search(line, 0, 60) or PREFIX.match(line)) or (
        len(line) <= 170 and line[:1].isdigit())


_NUMERIC_DATE = re.compile(r"\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?")


def _settled_order(lines: list[tuple[int, str]]) -> bool | None:
    """Day-first (True) or month-first (False) as the page's own numeric dates settle it: a
    first number above 12 is a day, a second above 12 is a day; None when nothing settles it
    (or the page reads both ways, which the stamps that need it then refuse)."""
    firsts = seconds = False
    for _, line in lines:
        if not (line[:1].isdigit() or PREFIX.match(line)) or not _NUMERIC_DATE.search(line, 0, 40):
            continue
        try:
            found = match_stamp(line) if _may_be_stamp(line) else None
        except StampError:
            continue
        numbers = found.date.numbers if found is not None and found.date is not None else None
        if numbers:
            firsts |= numbers[0] > 12
            seconds |= numbers[1] > 12
    return firsts if firsts != seconds else None


def parse_page(
    text: str, *, year: int | None, tz: str, gazetteer: Gazetteer | None = None,
    day_first: bool | None = None, today: date | None = None,
) -> ParsedPage:
    """Read a live page, text or HTML (told apart by its content); see the module docstring
    for what it understands in text, and ``storylog.importer.html`` for HTML."""
    if year is not None and not 1900 <= year <= 2200:
        raise ImportRefused(f"the year {year} is out of range (1900 to 2200)")
    try:
        zone = story_zone(tz)
    except UnknownZone as error:
        raise ImportRefused(str(error)) from None
    reader = _Reader(year, zone, day_first, gazetteer or Gazetteer.default(), today=today)
    if looks_like_html(text):
        return _html_page(text, reader)
    return _text_page(_lines(text), reader)


def _html_page(text: str, reader: _Reader) -> ParsedPage:
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    bad = _SURROGATE.search(text)
    if bad:
        raise ImportRefused(
            f"the page is not valid UTF-8 (character {bad.start()}); convert it to UTF-8")
    page = read_html(text, reader.zone)
    reader.warnings.extend(page.warnings)
    if page.posts is None:
        lines = [(number, line) for number, line in enumerate(page.lines, 1)]
        parsed = _text_page(lines, reader)
        first = parsed.updates[-1].stamp_line if parsed.updates else len(lines) + 1
        first = min([first, *(u.stamp_line for u in parsed.updates)])
        unplaced = [(n, line) for n, line in parsed.unplaced if n > first]
        return ParsedPage(page.standfirst or parsed.standfirst, parsed.updates, unplaced,
                          parsed.warnings, page.headline or parsed.headline, parsed.ignored)
    posts = [post for post in page.posts if post.paragraphs or post.title]
    stamps = [post.stamp for post in posts]
    updates = [_post_update(post, update_id, reader)
               for post, update_id in zip(posts, _ids(stamps), strict=True)]
    _check_order(updates, reader.warnings)
    if not updates:
        reader.warnings.append("the page has no stamps, so no updates were found")
    return ParsedPage(page.standfirst, updates, [], reader.warnings, page.headline)


def _post_update(post: Post, update_id: str, reader: _Reader) -> ParsedUpdate:
    body = "\n".join(post.paragraphs) or post.title or ""
    sources, mentions = find_sources(body, reader.gazetteer)
    media = _unique_media([*post.media, *post.links])
    return ParsedUpdate(
        update_id=update_id, stamp=post.stamp, stamp_line=post.number, body=body,
        sources=sources, media=media, unsourced=not sources, last_line=post.number,
        status=_status(body), mentions=mentions, title=post.title, byline=post.byline,
    )


def _unique_media(media: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for item in media:
        seen.setdefault(item.get("url") or f"{item.get('caption')}|{item.get('credit')}", item)
    return list(seen.values())[:MAX_MEDIA]


def _text_page(lines: list[tuple[int, str]], reader: _Reader) -> ParsedPage:
    if reader.day_first is None:
        reader.day_first = _settled_order(lines)
    for number, line in lines:
        reader.read_line(number, line)
    headline, standfirst = _prelude(reader)
    stamps = [draft.stamp.strftime("%Y-%m-%d %H:%M") for draft in reader.drafts]
    updates = [
        _update(draft, stamp, update_id, reader)
        for draft, stamp, update_id in zip(reader.drafts, stamps, _ids(stamps), strict=True)
    ]
    _check_order(updates, reader.warnings)
    if not updates:
        reader.warnings.append("the page has no stamps, so no updates were found")
    unplaced = sorted(reader.unplaced)
    if unplaced:
        numbers = ", ".join(str(number) for number, _ in unplaced[:10])
        more = f" and {len(unplaced) - 10} more" if len(unplaced) > 10 else ""
        reader.warnings.append(f"lines {numbers}{more} belong to no update; see unplaced")
    return ParsedPage(standfirst, updates, unplaced, reader.warnings, headline, reader.ignored)


def _lines(text: str) -> list[tuple[int, str]]:
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for number, line in enumerate(lines, 1):
        line = line.replace("\t", " ").replace("\u00a0", " ").strip()
        control = _CONTROL.search(line)
        if control:
            raise ImportRefused(
                f"line {number} contains the control character U+{ord(control.group()):04X}; "
                "remove it"
            )
        out.append((number, line))
    return out


def _paragraphs(lines: list[tuple[int, str | None]]) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    joinable = False
    for number, line in lines:
        if line is None:
            joinable = False
        elif joinable and is_continuation(paragraphs[-1][1], line):
            paragraphs[-1] = (paragraphs[-1][0], f"{paragraphs[-1][1]} {line}")
        else:
            paragraphs.append((number, line))
            joinable = True
    return paragraphs


def _prelude(reader: _Reader) -> tuple[str | None, str]:
    paragraphs = _paragraphs(reader.prelude)
    headline = None
    if len(paragraphs) >= 2 and _headline_like(paragraphs[0][1]):
        headline = paragraphs.pop(0)[1]
    if not paragraphs:
        reader.warnings.append("the page has no standfirst before its first stamp")
        return headline, ""
    if len(paragraphs) > 1:
        rest_start = paragraphs[1][0]
        reader.unplaced.extend(
            (number, line) for number, line in reader.prelude
            if line is not None and number >= rest_start
        )
    return headline, paragraphs[0][1]


def _headline_like(text: str) -> bool:
    return len(text) <= 150 and text[-1] not in ".!?:;…\"”’"


def _update(draft: _Draft, stamp: str, update_id: str, reader: _Reader) -> ParsedUpdate:
    paragraphs = _paragraphs(draft.lines)
    key_event = bool(paragraphs) and bool(_KEY_EVENT.match(paragraphs[0][1]))
    if key_event and len(paragraphs) > 1:
        paragraphs.pop(0)
    title = draft.title
    if title is None and len(paragraphs) > 1 and _title_like(paragraphs[0][1]):
        title = paragraphs.pop(0)[1]
    byline = None
    if len(paragraphs) > 1 and (by := _BYLINE.match(paragraphs[0][1])):
        byline = by.group("names")
        paragraphs.pop(0)
    extracted = extract_media(paragraphs, reader.gazetteer)
    reader.warnings.extend(extracted.warnings)
    body = "\n".join(text for _, text in extracted.body)
    if not body:
        raise ImportRefused(
            f"line {draft.stamp_line}: the update stamped here has no text before the next "
            "stamp; remove the stray stamp or add the update's text"
        )
    sources, mentions = find_sources(body, reader.gazetteer)
    last_line = max([draft.stamp_line, *(n for n, line in draft.lines if line is not None)])
    return ParsedUpdate(
        update_id=update_id, stamp=stamp, stamp_line=draft.stamp_line, body=body,
        sources=sources, media=extracted.media, unsourced=not sources, last_line=last_line,
        key_event=key_event, status=_status(body), mentions=mentions, title=title,
        byline=byline,
    )


def _title_like(text: str) -> bool:
    """A post's title on the line after its stamp: short, capitalised, unpunctuated, and not
    a byline."""
    return (len(text) <= 120 and text[:1].isupper() and text[-1] not in ".!?…;:,\"”’)"
            and not _BYLINE.match(text) and len(text.split()) >= 2 and not is_credit_line(text))


def _status(body: str) -> Status | None:
    """UNVERIFIED when the text says that what it reports is not verified."""
    lowered = body.lower()
    if ("verif" in lowered or "confirm" in lowered) and _UNVERIFIED.search(body):
        return Status.UNVERIFIED
    return None


def _ids(stamps: list[str]) -> list[str]:
    """Ids from stamps; among updates sharing a stamp the oldest (lowest) keeps the plain id."""
    seen: dict[str, int] = {}
    ids: list[str] = []
    for stamp in reversed(stamps):
        base = stamp.replace(" ", "-").replace(":", "")
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids[::-1]


def _check_order(updates: list[ParsedUpdate], warnings: list[str]) -> None:
    for upper, lower in pairwise(updates):
        if upper.stamp < lower.stamp:
            warnings.append(
                f"line {upper.stamp_line}: {upper.stamp} is older than the update below it "
                f"(line {lower.stamp_line}, {lower.stamp}); live pages list the newest first, "
                "so check the year and the date"
            )
