"""Every stamp style the importer reads, and the stamps it refuses rather than guesses."""

from __future__ import annotations

from typing import Any

import pytest

from storylog.domain.values import parse_stamp
from storylog.errors import RefusedInput
from storylog.importer import ImportRefused, parse_page

BODY = "Russian forces advanced near the railway station."


def stamp_of(line: str, *, year: int | None = 2025, tz: str = "Europe/Kyiv",
             day_first: bool | None = None) -> str:
    """The stamp the importer reads from ``line`` placed above one update."""
    page = parse_page(f"Standfirst of the page.\n{line}\n{BODY}", year=year, tz=tz,
                      day_first=day_first)
    [update] = page.updates
    assert update.body == BODY
    return update.stamp


def refusal(line: str, **options: Any) -> str:
    options.setdefault("year", 2025)
    options.setdefault("tz", "Europe/Kyiv")
    with pytest.raises(ImportRefused) as refused:
        parse_page(f"Standfirst of the page.\n{line}\n{BODY}", **options)
    return str(refused.value)


def test_updated_stamp_with_am_clock() -> None:
    assert stamp_of("Updated November 11, 8:26 A.M.") == "2025-11-11 08:26"


def test_last_updated_stamp_with_pm_clock() -> None:
    assert stamp_of("Last updated November 4, 8:15 P.M.") == "2025-11-04 20:15"


def test_twenty_four_hour_clock() -> None:
    assert stamp_of("November 4, 20:15") == "2025-11-04 20:15"


def test_lower_case_pm_with_a_space() -> None:
    assert stamp_of("Nov 4, 8:15 pm") == "2025-11-04 20:15"


def test_dotted_time_with_pm_and_no_space() -> None:
    assert stamp_of("Nov. 4, 8.15pm") == "2025-11-04 20:15"


def test_dotted_twenty_four_hour_time() -> None:
    assert stamp_of("4 November 20.15") == "2025-11-04 20:15"


def test_month_first_stamp_with_year() -> None:
    assert stamp_of("November 4, 2025, 8:15 P.M.", year=None) == "2025-11-04 20:15"


def test_day_first_stamp_with_year() -> None:
    assert stamp_of("4 November 2025 20:15", year=None) == "2025-11-04 20:15"


def test_year_in_the_stamp_wins_over_the_given_year() -> None:
    assert stamp_of("4 November 2024 20:15", year=2025) == "2024-11-04 20:15"


def test_abbreviated_month_without_a_dot() -> None:
    assert stamp_of("Nov 4, 12:21") == "2025-11-04 12:21"


def test_sept_abbreviation() -> None:
    assert stamp_of("Sept. 30, 9:05 A.M.") == "2025-09-30 09:05"


def test_weekday_before_the_date() -> None:
    assert stamp_of("Tuesday, November 4, 2025, 8:15 P.M.") == "2025-11-04 20:15"


def test_iso_stamp() -> None:
    assert stamp_of("2025-11-04 12:21", year=None) == "2025-11-04 12:21"


def test_time_before_the_date() -> None:
    assert stamp_of("8:15 P.M., November 4") == "2025-11-04 20:15"


def test_at_between_date_and_time() -> None:
    assert stamp_of("Posted November 4 at 8:15 pm") == "2025-11-04 20:15"


def test_stamp_is_accepted_by_storylogs_parse_stamp() -> None:
    assert parse_stamp(stamp_of("Updated November 11, 8:26 A.M.")) == "2025-11-11T08:26"


def test_noon() -> None:
    assert stamp_of("November 4, noon") == "2025-11-04 12:00"


def test_midnight_is_the_start_of_the_day_it_names() -> None:
    assert stamp_of("November 4, midnight") == "2025-11-04 00:00"


def test_twelve_am_and_twelve_pm() -> None:
    assert stamp_of("November 4, 12:30 A.M.") == "2025-11-04 00:30"
    assert stamp_of("November 4, 12:30 P.M.") == "2025-11-04 12:30"


def test_eet_in_winter_is_kyiv_time() -> None:
    assert stamp_of("November 4, 8:15 P.M. EET") == "2025-11-04 20:15"


def test_cet_is_converted_to_the_story_zone() -> None:
    assert stamp_of("November 4, 14:00 CET") == "2025-11-04 15:00"


def test_gmt_is_converted_to_the_story_zone() -> None:
    assert stamp_of("November 4, 9:00 GMT") == "2025-11-04 11:00"


def test_gmt_in_summer_follows_kyiv_summer_time() -> None:
    assert stamp_of("July 4, 9:00 GMT") == "2025-07-04 12:00"


def test_et_follows_new_york_daylight_saving() -> None:
    assert stamp_of("Nov 4, 10am ET") == "2025-11-04 17:00"
    assert stamp_of("Jul 4, 10am ET") == "2025-07-04 17:00"


def test_utc_offset_zone() -> None:
    assert stamp_of("November 4, 20:15 UTC+1") == "2025-11-04 21:15"


def test_zone_that_crosses_midnight_changes_the_date() -> None:
    assert stamp_of("November 4, 11:30 P.M. GMT") == "2025-11-05 01:30"


def test_city_time_and_local_time() -> None:
    assert stamp_of("November 4, 10:00 London time") == "2025-11-04 12:00"
    assert stamp_of("November 4, 10:00 (local time)") == "2025-11-04 10:00"


def test_story_zone_other_than_kyiv() -> None:
    assert stamp_of("November 4, 14:00 CET", tz="America/New_York") == "2025-11-04 08:00"


def test_unknown_zone_abbreviation_is_refused_naming_the_line() -> None:
    message = refusal("November 4, 10:00 XYZ")
    assert message.startswith("line 2:")
    assert "XYZ" in message and "unknown" in message


def test_ambiguous_zone_abbreviation_is_refused() -> None:
    assert "ambiguous" in refusal("November 4, 10:00 IST")


def test_unknown_story_zone_is_refused() -> None:
    assert "Europe/Kyiv" in refusal("November 4, 10:00", tz="Mars/Olympus")


def test_stamp_without_year_is_refused_naming_the_line() -> None:
    message = refusal("Updated November 11, 8:26 A.M.", year=None)
    assert message.startswith("line 2:")
    assert "no year" in message and "--year 2025" in message


def test_ambiguous_numeric_date_is_refused_naming_the_line() -> None:
    message = refusal("03/04 10:00")
    assert message.startswith("line 2:")
    assert "--day-first" in message and "--month-first" in message
    assert "day_first" not in message  # a CLI message names CLI options


def test_day_first_settles_an_ambiguous_date() -> None:
    assert stamp_of("03/04 10:00", day_first=True) == "2025-04-03 10:00"
    assert stamp_of("03/04 10:00", day_first=False) == "2025-03-04 10:00"


def test_numeric_date_with_a_day_above_twelve_is_not_ambiguous() -> None:
    assert stamp_of("13/04/2025 10:00", year=None) == "2025-04-13 10:00"
    assert stamp_of("04/13/2025 10:00", year=None) == "2025-04-13 10:00"


def test_impossible_date_is_refused() -> None:
    assert "not a date" in refusal("February 30, 10:00")


def test_impossible_time_is_refused() -> None:
    assert "hour 25" in refusal("November 4, 25:10")
    assert "a.m./p.m." in refusal("November 4, 13:10 P.M.")


def test_weekday_that_does_not_match_the_date_is_refused() -> None:
    assert "is a Tuesday" in refusal("Wednesday, November 4, 10:00")


def test_stamp_followed_by_other_text_is_refused() -> None:
    message = refusal("Updated November 11, 8:26 A.M. A video shows troops")
    assert message.startswith("line 2:") and "colon" in message


def test_prefixed_stamp_without_a_time_is_refused() -> None:
    assert "no time" in refusal("Updated November 11")


def test_import_refused_is_storylogs_refused_input() -> None:
    assert issubclass(ImportRefused, RefusedInput)


def test_out_of_range_year_is_refused() -> None:
    assert "out of range" in refusal("November 4, 10:00", year=1066)
