"""The stamps a live page shows, and the date headings some pages put above them.

``match_stamp`` reads one line and says whether it is a stamp ("Updated November
11, 8:26 A.M.", "4 November 2025 20:15", "14:05: text"), a date heading
("Wednesday 5 November 2025") or neither; ``moment`` turns what it read into
the story's local wall time. Nothing here guesses: a missing year, a date that
could be day-first or month-first, or an unknown zone is an error.

Read: month names in full or short ("Nov 4", "Nov. 4", "Sept. 30"), day-first
or month-first ("4 November 2025", "November 4, 2025"), ISO dates, numeric
dates ("03/04", "13.04.2025"), an optional weekday, an optional "Updated",
"Last updated", "Posted" ... before the stamp, the time before or after the
date, 12- and 24-hour clocks ("8:15 P.M.", "8.15pm", "10am", "20:15", "20.15",
"20h15"), "noon" and "midnight" (midnight is 00:00 at the start of the day the
stamp names), and a zone after the time ("EET", "UTC+2", "Kyiv time", see
``storylog.importer.zones``), converted to the story's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from storylog.importer.zones import zone_named

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}
# Other languages, month by month and Monday first; Ukrainian and Russian in the nominative
# and the genitive that follows a day ("5 листопада").
_FOREIGN_MONTHS = (
    "januar jänner jan | februar feb | märz maerz mär | april apr | mai | juni jun | juli jul | "
    "august aug | september sep sept | oktober okt | november nov | dezember dez",
    "janvier janv | février fevrier févr fevr | mars | avril avr | mai | juin | juillet juil | "
    "août aout | septembre sept | octobre oct | novembre nov | décembre decembre déc dec",
    "enero ene | febrero | marzo | abril abr | mayo | junio | julio | agosto ago | "
    "septiembre setiembre | octubre | noviembre | diciembre dic",
    "січень січня | лютий лютого | березень березня | квітень квітня | травень травня | "
    "червень червня | липень липня | серпень серпня | вересень вересня | жовтень жовтня | "
    "листопад листопада | грудень грудня",
    "январь января | февраль февраля | март марта | апрель апреля | май мая | июнь июня | "
    "июль июля | август августа | сентябрь сентября | октябрь октября | ноябрь ноября | "
    "декабрь декабря",
)
_FOREIGN_WEEKDAYS = (
    "montag mo | dienstag di | mittwoch mi | donnerstag do | freitag fr | samstag sonnabend sa "
    "| sonntag so",
    "lundi | mardi | mercredi | jeudi | vendredi | samedi | dimanche",
    "lunes | martes | miércoles miercoles | jueves | viernes | sábado sabado | domingo",
    "понеділок | вівторок | середа | четвер | п'ятниця п’ятниця | субота | неділя",
    "понедельник | вторник | среда | четверг | пятница | суббота | воскресенье",
)
for _language in _FOREIGN_MONTHS:
    for _number, _names_of in enumerate(_language.split("|"), 1):
        MONTHS.update(dict.fromkeys(_names_of.split(), _number))
for _language in _FOREIGN_WEEKDAYS:
    for _number, _names_of in enumerate(_language.split("|")):
        WEEKDAYS.update({name: _number for name in _names_of.split() if len(name) > 2})
# "Today" and "Yesterday" headings, read against the page's date (--date).
RELATIVE_DAYS = {
    "today": 0, "heute": 0, "aujourd'hui": 0, "aujourd’hui": 0, "hoy": 0, "сьогодні": 0,
    "сегодня": 0, "yesterday": 1, "gestern": 1, "hier": 1, "ayer": 1, "вчора": 1, "учора": 1,
    "вчера": 1,
}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _names(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_MONTH = rf"(?P<mon>{_names(MONTHS)})\.?(?!\w)"
_YEAR = r"(?:,?\s+(?:de\s+)?(?P<year>\d{4})(?!\d)(?:\s*(?:г\.|р\.|року|года)(?!\w))?)?"
PREFIX = re.compile(
    r"(?:last\s+)?(?:updated|update|posted|published|added|edited|filed)\b"
    r"(?:\s+(?:at|on))?\s*:?\s*", re.I,
)
_WEEKDAY = re.compile(rf"(?P<wd>{_names(WEEKDAYS)})(?!\w)\.?,?\s+", re.I)
_DATES = (
    re.compile(rf"{_MONTH}\s*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?!\d){_YEAR}", re.I),
    re.compile(
        rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?{_MONTH}{_YEAR}", re.I),
    re.compile(r"(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})(?!\d)"),
    re.compile(r"(?P<a>\d{1,2})(?P<s>[/.])(?P<b>\d{1,2})(?:(?P=s)(?P<year>\d{4}|\d{2}))?(?!\d)"),
)
_TIME = re.compile(
    r"(?:12\s+)?(?P<word>noon|midnight)(?![a-z])"
    r"|(?P<h>\d{1,2})(?:[:.h](?P<mi>\d{2}))?(?!\d)(?:\s*(?P<ap>[ap])\.?\s?m(?![a-z])\.?)?"
    r"(?:\s*Uhr(?!\w))?",
    re.I,
)
_ZONE = re.compile(
    r"\s*\(?(?P<zone>(?:[A-Z][a-z]+(?:\s[A-Z][a-z]+)?|[Ll]ocal)\s+time"
    r"|(?:UTC|GMT|UT)[+\-−]\d{1,2}(?::?\d{2})?|[+\-−]\d{2}:?\d{2}|[A-Z]{2,5}|Z)\)?(?!\w)"
)
_SEP = re.compile(r"\s*(?:,|\bat\b|@|[-–—·|/])\s*|\s+|T(?=\d)", re.I)
_END = re.compile(r"\s*\.?\s*$")
_HEADING_END = re.compile(r"\s*[.:]?\s*$")
_TITLE = re.compile(r"\s+(?P<title>\S.{0,150})$")
_CLOSING = ".!?…;:,\"”’)"
_COLON = re.compile(r"(?:\s*:\s*|\s+[–—-]\s+)(?P<text>\S.*)$")


class StampError(ValueError):
    """A line that is a stamp but cannot be read as one; the caller adds the line number."""


@dataclass(frozen=True)
class RawDate:
    """A date as printed: month and day, or two numbers whose order is not yet known."""

    text: str
    year: int | None
    month: int | None = None
    day: int | None = None
    numbers: tuple[int, int] | None = None
    weekday: int | None = None


@dataclass(frozen=True)
class RawTime:
    text: str
    hour: int
    minute: int
    meridiem: str | None = None
    zone: str | None = None


@dataclass(frozen=True)
class StampMatch:
    """What a line is: "stamp" (date and time), "time" (time only) or "heading" (date only)."""

    kind: str
    date: RawDate | None = None
    time: RawTime | None = None
    text: str = ""
    title: str | None = None
    days_ago: int | None = None  # a "Today" / "Yesterday" heading


def match_stamp(line: str) -> StampMatch | None:
    """Read ``line`` as a stamp, a time, a date heading, or nothing (None)."""
    relative = RELATIVE_DAYS.get(line.rstrip(":. ").lower())
    if relative is not None:
        return StampMatch("heading", days_ago=relative)
    prefix = PREFIX.match(line)
    start = prefix.end() if prefix else 0
    found = _date_first(line, start) or _time_first(line, start)
    if found is None and prefix and _starts_with_date_or_time(line, start):
        raise StampError(
            f"{line[:60]!r} starts like a stamp but goes on with other text; put the "
            "stamp on a line of its own, or follow it with a colon"
        )
    if found is not None and found.kind == "heading" and prefix:
        raise StampError(f"the stamp {line!r} gives a date but no time; add the time")
    return found


def _date_first(line: str, start: int) -> StampMatch | None:
    found = _date_at(line, start)
    if found is None:
        return None
    when, end = found
    sep = _SEP.match(line, end)
    clock = _time_at(line, sep.end()) if sep else None
    if clock is not None:
        text = _tail(line, clock[1])
        if text is not None:
            return StampMatch("stamp", when, clock[0], text)
    if _HEADING_END.match(line, end) and (when.numbers is None or when.year is not None):
        return StampMatch("heading", when)
    return None


def _time_first(line: str, start: int) -> StampMatch | None:
    found = _time_at(line, start)
    if found is None:
        return None
    clock, end = found
    sep = _SEP.match(line, end)
    when = _date_at(line, sep.end()) if sep else None
    if when is not None:
        text = _tail(line, when[1])
        if text is not None:
            return StampMatch("stamp", when[0], clock, text)
    text = _tail(line, end)
    if text is not None:
        return StampMatch("time", None, clock, text)
    title = _TITLE.match(line, end)
    if title and title.group("title")[0].isupper() and title.group("title")[-1] not in _CLOSING:
        return StampMatch("time", None, clock, "", title.group("title"))
    return None


def _tail(line: str, end: int) -> str | None:
    """"" when the stamp ends the line, the text after "stamp:" or None."""
    if _END.match(line, end):
        return ""
    colon = _COLON.match(line, end)
    return colon.group("text").strip() if colon else None


def _starts_with_date_or_time(line: str, start: int) -> bool:
    return _date_at(line, start) is not None or _time_at(line, start) is not None


def _date_at(line: str, pos: int) -> tuple[RawDate, int] | None:
    weekday = _WEEKDAY.match(line, pos)
    begin = weekday.end() if weekday else pos
    for pattern in _DATES:
        found = pattern.match(line, begin)
        if found:
            day_of_week = WEEKDAYS[weekday.group("wd").lower()] if weekday else None
            return _raw_date(found, day_of_week), found.end()
    return None


def _raw_date(found: re.Match[str], weekday: int | None) -> RawDate:
    parts = found.groupdict()
    year = int(parts["year"]) if parts.get("year") else None
    if year is not None and year < 100:
        year += 2000
    if parts.get("a"):
        numbers = (int(parts["a"]), int(parts["b"]))
        return RawDate(found.group(0), year, numbers=numbers, weekday=weekday)
    month_text = parts["mon"].lower()
    month = int(month_text) if month_text.isdigit() else MONTHS[month_text]
    return RawDate(found.group(0), year, month, int(parts["day"]), weekday=weekday)


def _time_at(line: str, pos: int) -> tuple[RawTime, int] | None:
    found = _TIME.match(line, pos)
    if found is None:
        return None
    word, meridiem = found.group("word"), found.group("ap")
    if word:
        hour, minute = (12, 0) if word.lower() == "noon" else (0, 0)
    elif found.group("mi") is None and meridiem is None:
        return None
    else:
        hour, minute = int(found.group("h")), int(found.group("mi") or 0)
    zone = _ZONE.match(line, found.end())
    end = zone.end() if zone else found.end()
    clock = RawTime(
        found.group(0), hour, minute, meridiem.lower() if meridiem else None,
        zone.group("zone") if zone else None,
    )
    return clock, end


def calendar_date(raw: RawDate, *, year: int | None, day_first: bool | None) -> date:
    """The date a RawDate names, with the page's year when it prints none."""
    chosen = raw.year if raw.year is not None else year
    if chosen is None:
        raise StampError(
            f"the date {raw.text!r} has no year, and no year was given; give the year the "
            "page was written in with --year (for example --year 2025), or write it into the stamp"
        )
    month, day = _month_day(raw, day_first)
    try:
        result = date(chosen, month, day)
    except ValueError:
        raise StampError(f"{raw.text!r} is not a date (month {month}, day {day})") from None
    if raw.weekday is not None and raw.weekday != result.weekday():
        raise StampError(
            f"{raw.text!r} says {DAY_NAMES[raw.weekday]}, but {result:%d %B %Y} is a "
            f"{DAY_NAMES[result.weekday()]}; check the year and the date"
        )
    return result


def _month_day(raw: RawDate, day_first: bool | None) -> tuple[int, int]:
    if raw.numbers is None:
        assert raw.month is not None and raw.day is not None
        return raw.month, raw.day
    first, second = raw.numbers
    if day_first is None:
        if first > 12 >= second:
            return second, first
        if second > 12 >= first or first == second:
            return first, second
        raise StampError(
            f"the date {raw.text!r} could be day {first} of month {second} or month "
            f"{first}, day {second}, and no date on the page settles it; say which with "
            "--day-first or --month-first"
        )
    return (second, first) if day_first else (first, second)


def wall_clock(raw: RawTime) -> tuple[int, int]:
    """Hour and minute on a 24-hour clock."""
    hour, minute = raw.hour, raw.minute
    if minute > 59:
        raise StampError(f"the time {raw.text!r} has {minute} minutes")
    if raw.meridiem is None:
        if hour > 23:
            raise StampError(f"the time {raw.text!r} has hour {hour}; hours go to 23")
        return hour, minute
    if not 1 <= hour <= 12:
        raise StampError(f"the time {raw.text!r} mixes a 24-hour clock with a.m./p.m.")
    return (hour % 12) + (12 if raw.meridiem == "p" else 0), minute


def moment(day: date, clock: RawTime, story_zone: ZoneInfo) -> datetime:
    """The story's local wall time (naive) of a date and a printed time."""
    hour, minute = wall_clock(clock)
    local = datetime(day.year, day.month, day.day, hour, minute)
    if clock.zone is None:
        _exists_once(local, story_zone, clock)
        return local
    try:
        source_zone = zone_named(clock.zone, story_zone)
    except ValueError as error:
        raise StampError(str(error)) from None
    if isinstance(source_zone, ZoneInfo):
        _exists_once(local, source_zone, clock)
    return local.replace(tzinfo=source_zone).astimezone(story_zone).replace(tzinfo=None)


def _exists_once(local: datetime, zone: ZoneInfo, clock: RawTime) -> None:
    """Refuse a wall time that the clocks skipped or passed twice in ``zone``."""
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return
    shown = f"{clock.text!r} on {local:%d %B %Y}"
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise StampError(
            f"{shown} does not exist in {zone.key}: the clocks went forward past it; "
            "check the stamp")
    raise StampError(
        f"{shown} happens twice in {zone.key} (the clocks went back); write the zone after "
        f"the time ({first.tzname()} or {second.tzname()}) so that it names one moment")
