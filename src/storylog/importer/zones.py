"""Time-zone names that newsrooms print after a time, and how they map to zones.

Abbreviations that name a season ("EET", "EEST", "EST") are fixed UTC offsets;
the generic American ones ("ET", "PT") follow the IANA zone, so "10am ET" is
EDT in summer and EST in winter. "Kyiv time" or "London time" names an IANA
zone by its city; "local time" is the story's own zone. "IST" is refused: it is
India, Ireland or Israel.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

ABBREVIATIONS: dict[str, float | str] = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0,
    "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MET": 1, "MEST": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "TRT": 3, "GST": 4, "PKT": 5, "ICT": 7, "WIB": 7,
    "HKT": 8, "SGT": 8, "AWST": 8, "JST": 9, "KST": 9, "ACST": 9.5, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles",
}
AMBIGUOUS = {"IST": "India, Ireland or Israel", "AST": "Arabia or Atlantic"}
CITY_ALIASES = {"kiev": "Europe/Kyiv", "washington": "America/New_York"}

_OFFSET = re.compile(r"^(?:(UTC|GMT|UT))?([+\-−])(\d{1,2})(?::?(\d{2}))?$")


class UnknownZone(ValueError):
    """A zone the importer will not guess."""


def zone_named(spec: str, story_zone: ZoneInfo) -> tzinfo:
    """The zone a stamp's suffix names: "EET", "UTC+2", "Kyiv time", "local time"."""
    words = spec.split()
    if len(words) >= 2 and words[-1].lower() == "time":
        return _city_zone(" ".join(words[:-1]), story_zone)
    if spec in AMBIGUOUS:
        raise UnknownZone(
            f"the zone {spec!r} is ambiguous ({AMBIGUOUS[spec]}); write a UTC offset "
            "such as UTC+5:30 instead"
        )
    offset = _OFFSET.match(spec.replace("−", "-"))
    if offset:
        return _fixed(offset)
    known = ABBREVIATIONS.get(spec)
    if known is None:
        raise UnknownZone(
            f"the zone {spec!r} is unknown; write a UTC offset such as UTC+2, or a "
            "known abbreviation (EET, CET, GMT, ET, ...)"
        )
    if isinstance(known, str):
        return ZoneInfo(known)
    return timezone(timedelta(hours=known), spec)


def _fixed(offset: re.Match[str]) -> tzinfo:
    sign = -1 if offset.group(2) == "-" else 1
    hours, minutes = int(offset.group(3)), int(offset.group(4) or 0)
    if hours > 14 or minutes > 59:
        raise UnknownZone(f"the offset {offset.group(0)!r} is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _city_zone(city: str, story_zone: ZoneInfo) -> tzinfo:
    if city.lower() == "local":
        return story_zone
    name = CITY_ALIASES.get(city.lower()) or _cities().get(city.lower().replace(" ", "_"))
    if name is None:
        raise UnknownZone(
            f"{city!r} is not a city with a time zone the importer knows; write a UTC "
            "offset such as UTC+2 instead"
        )
    return ZoneInfo(name)


@cache
def _cities() -> dict[str, str]:
    return {name.rsplit("/", 1)[-1].lower(): name for name in sorted(available_timezones())}


def story_zone(name: str) -> ZoneInfo:
    """The story's own zone, by IANA name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownZone(
            f"time zone {name!r} is unknown; use an IANA name like Europe/Kyiv"
        ) from None
